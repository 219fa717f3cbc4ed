"""``btcbot inspect``: armed? killed? alive? Read-only, so it answers while the loop runs."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from btcbot.commands.common import configure_command_logging
from btcbot.commands.exit_codes import EXIT_OK
from btcbot.domain.enums import Role
from btcbot.services.inspect import build_view, read_live_arming
from btcbot.services.inspect_trading import plain, render_section, trading_sections
from btcbot.settings import load_settings
from btcbot.state.guards import preflight
from btcbot.wiring import build_live


def run_inspect(args: argparse.Namespace) -> int:
    """Print the view as a table or (``--json``) a document."""
    settings = load_settings()
    app = build_live(settings)  # for trading_facts only; nothing is started
    configure_command_logging(settings, app.instance_id)
    arming_state = None
    if settings.app_role is Role.LIVE:
        # The read-only guards (file, registry, tag, schema); no lock, so it works mid-loop.
        preflight(settings)
        arming_state = read_live_arming(settings.state_db_path, app.audit_context())
    facts = app.trading_facts(armed=arming_state is not None and arming_state.armed)
    view = build_view(facts=facts, control_dir=settings.control_dir, arming=arming_state)
    if settings.app_role is Role.LIVE:
        # Orders, positions, PnL, recent cycles and risk decisions of the LIVE database.
        sections = trading_sections(settings.state_db_path, app.audit_context(), limit=args.limit)
        view = replace(view, sections=sections)
    if args.json:
        print(json.dumps(view.as_dict(), indent=2, sort_keys=True, default=str))
        return EXIT_OK
    nested: dict[str, object] = {}
    for key, value in view.as_dict().items():
        if key in view.sections:
            continue
        if key == "blockers" and not value:
            continue  # the verdict already says whether, and why not, it trades
        if isinstance(value, dict):
            nested[key] = value
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else plain(value)
        print(f"{key + ':':<22} {shown or '(none)'}")
    for title, section in (nested | view.sections).items():
        print()
        print(render_section(title, section))
    return EXIT_OK
