"""What every command handler shares: the logging set-up and picking the role's wiring."""

from __future__ import annotations

from btcbot.domain.enums import Role
from btcbot.observability.logging import configure_logging
from btcbot.settings import Settings
from btcbot.wiring import LiveApp, MonitorApp, build_live, build_monitor


def configure_command_logging(settings: Settings, instance_id: str) -> None:
    """JSON logs on stderr, redacting the configured API credentials."""
    secrets = [
        s.get_secret_value()
        for s in (settings.btcturk_api_key, settings.btcturk_api_secret)
        if s is not None
    ]
    configure_logging(
        role=settings.app_role.value,
        instance_id=instance_id,
        level=settings.log_level,
        fmt=settings.log_format,
        secrets=secrets,
        # sim, paper or live on every line; the MONITOR says which exchange it probes.
        mode=settings.mode.value if settings.app_role is Role.LIVE else settings.exchange.value,
    )


def app_for(settings: Settings) -> LiveApp | MonitorApp:
    """The wiring of the session's own role."""
    return build_live(settings) if settings.app_role is Role.LIVE else build_monitor(settings)
