"""``open_for_role`` refuses every unsafe database before writing anything."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from state_db import initialised, settings_for, v1_database

from btcbot.domain.enums import Role
from btcbot.domain.errors import (
    ConfigError,
    DatabaseMissingError,
    LockHeldError,
    RoleMismatchError,
    SchemaTooNewError,
    SharedDatabaseError,
)
from btcbot.settings import Settings
from btcbot.state.guards import open_for_role
from btcbot.state.lock import read_holder
from btcbot.state.migrate import latest_version
from btcbot.state.registry import check_not_shared, read_registration

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MakeSettings = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> MakeSettings:
    """Settings for a role, with its files under this test's directory."""
    return partial(settings_for, tmp_path)


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    """LIVE settings whose database ``db init`` has created."""
    return initialised(tmp_path, Role.LIVE)


@pytest.fixture
def monitor_settings(tmp_path: Path) -> Settings:
    """MONITOR settings whose database ``db init`` has created."""
    return initialised(tmp_path, Role.MONITOR)


def _open(settings: Settings, instance: str = "test") -> None:
    opened = open_for_role(settings, instance_id=instance, now=NOW)
    opened.close()


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_a_missing_database_is_refused_and_not_created(
    tmp_path: Path, make_settings: MakeSettings
) -> None:
    """A typo in STATE_DB_PATH ends in 'run btcbot db init', and no file appears."""
    (tmp_path / "control").mkdir()
    settings = make_settings(Role.LIVE, tmp_path / "typo" / "stat.db")
    before = _files(tmp_path)
    with pytest.raises(DatabaseMissingError, match="btcbot db init"):
        _open(settings)
    assert _files(tmp_path) == before


def test_a_missing_control_dir_is_a_configuration_error(
    tmp_path: Path, make_settings: MakeSettings
) -> None:
    """Without CONTROL_DIR the roles cannot see each other, so nothing opens."""
    settings = make_settings(Role.LIVE)
    with pytest.raises(ConfigError, match="CONTROL_DIR"):
        _open(settings)
    assert not (tmp_path / "control").exists()


def test_a_control_dir_that_is_a_file_is_named_as_such(
    tmp_path: Path, make_settings: MakeSettings
) -> None:
    """Not "does not exist", which sent the operator looking for a missing directory."""
    (tmp_path / "control").write_text("a file where the directory should be", "utf-8")
    settings = make_settings(Role.LIVE)
    with pytest.raises(ConfigError, match=r"control is a file, not a directory"):
        _open(settings)
    assert (tmp_path / "control").read_text("utf-8") == "a file where the directory should be"


@pytest.mark.parametrize(
    "content",
    [b"just some text\n", None],
    ids=["text-file", "foreign-sqlite"],
)
def test_a_file_that_is_not_a_btcbot_database_is_refused(
    tmp_path: Path, make_settings: MakeSettings, content: bytes | None
) -> None:
    """A text file or somebody else's SQLite database is refused and left byte-for-byte alone."""
    (tmp_path / "control").mkdir()
    path = tmp_path / "other.db"
    if content is None:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (x TEXT)")
        conn.commit()
        conn.close()
    else:
        path.write_bytes(content)
    original = path.read_bytes()
    with pytest.raises(DatabaseMissingError, match="not a btcbot state database"):
        _open(make_settings(Role.LIVE, path))
    assert path.read_bytes() == original


def test_each_role_refuses_the_other_roles_database(
    live_settings: Settings, monitor_settings: Settings, make_settings: MakeSettings
) -> None:
    """LIVE on a monitor-tagged DB and MONITOR on a live-tagged DB are both refused by tag."""
    # Fresh registrations would catch these as shared files first; remove them to reach the tag.
    registry = live_settings.control_dir / "registry"
    for entry in registry.iterdir():
        entry.unlink()
    with pytest.raises(RoleMismatchError, match="tagged db_role=monitor but APP_ROLE=live"):
        _open(make_settings(Role.LIVE, monitor_settings.state_db_path))
    with pytest.raises(RoleMismatchError, match="tagged db_role=live but APP_ROLE=monitor"):
        _open(make_settings(Role.MONITOR, live_settings.state_db_path))


def test_a_newer_schema_is_refused(live_settings: Settings) -> None:
    """A database migrated by a newer btcbot is refused, not opened."""
    conn = sqlite3.connect(live_settings.state_db_path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError):
        _open(live_settings)


def test_a_good_open_registers_locks_and_releases(live_settings: Settings) -> None:
    """Opening registers the DB for the other role to see and holds the lock until closed."""
    opened = open_for_role(live_settings, instance_id="first", now=NOW)
    try:
        registered = read_registration(live_settings.control_dir, Role.LIVE)
        assert registered is not None
        assert registered.db_uuid == opened.meta.db_uuid
        with pytest.raises(LockHeldError):
            _open(live_settings, "second")
        conn = opened.connections()
        assert opened.connections() is conn  # one connection per process (and thread)
    finally:
        opened.close()
    _open(live_settings, "third")


def _spelling(kind: str, live_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Another name for ``live_db``."""
    if kind == "dotdot":
        return live_db.parent / ".." / live_db.parent.name / live_db.name
    if kind == "symlink":
        link = tmp_path / "looks-like-monitor.db"
        link.symlink_to(live_db)
        return link
    if kind == "hardlink":
        link = tmp_path / "also-monitor.db"
        os.link(live_db, link)
        return link
    monkeypatch.chdir(live_db.parent.parent)
    return Path(live_db.parent.name) / live_db.name  # relative, resolved against the cwd


@pytest.mark.parametrize("kind", ["relative", "dotdot", "symlink", "hardlink"])
def test_the_other_roles_file_is_refused_however_it_is_spelled(
    kind: str,
    tmp_path: Path,
    live_settings: Settings,
    make_settings: MakeSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MONITOR pointed at LIVE's file by another spelling is refused as a shared database."""
    _open(live_settings)  # LIVE registers its file
    spelled = _spelling(kind, live_settings.state_db_path, tmp_path, monkeypatch)
    with pytest.raises(SharedDatabaseError, match="same file as the LIVE database"):
        check_not_shared(live_settings.control_dir, Role.MONITOR, spelled)
    if spelled.is_absolute():  # settings refuse relative paths before any guard runs
        with pytest.raises(SharedDatabaseError):
            _open(make_settings(Role.MONITOR, spelled))


@pytest.mark.skipif(os.name != "nt", reason="letter case names one file only on Windows")
def test_a_case_variant_is_refused_on_windows(
    live_settings: Settings, make_settings: MakeSettings
) -> None:
    """On Windows, LIVE.DB and live.db are one file, so the case variant is refused."""
    _open(live_settings)
    upper = Path(str(live_settings.state_db_path).upper())
    with pytest.raises(SharedDatabaseError):
        _open(make_settings(Role.MONITOR, upper))


def test_a_different_file_is_fine(live_settings: Settings, monitor_settings: Settings) -> None:
    """Two roles on two files open side by side."""
    first = open_for_role(live_settings, instance_id="l", now=NOW)
    try:
        _open(monitor_settings)
    finally:
        first.close()


def test_each_refusal_names_the_path_and_what_to_do(
    tmp_path: Path, make_settings: MakeSettings, live_settings: Settings
) -> None:
    """The operator reads one line: which setting, which path, and the way out."""
    control = tmp_path / "control"
    missing = make_settings(Role.LIVE, tmp_path / "typo" / "stat.db")
    with pytest.raises(DatabaseMissingError) as refused:
        _open(missing)
    assert str(refused.value) == (
        f"STATE_DB_PATH={missing.state_db_path} does not exist: run `btcbot db init` for this "
        "role (or fix the path)"
    )
    folder = make_settings(Role.LIVE, tmp_path / "a-folder")
    folder.state_db_path.mkdir()
    with pytest.raises(DatabaseMissingError) as refused:
        _open(folder)
    assert str(refused.value) == f"STATE_DB_PATH={folder.state_db_path} is not a file"
    text = make_settings(Role.LIVE, tmp_path / "notes.db")
    text.state_db_path.write_text("notes\n", "utf-8")
    with pytest.raises(DatabaseMissingError, match=r"^STATE_DB_PATH=.*notes\.db is not a btcbot"):
        _open(text)
    registry = control / "registry"
    for entry in registry.iterdir():
        entry.unlink()
    monitor = make_settings(Role.MONITOR, live_settings.state_db_path)
    with pytest.raises(RoleMismatchError) as mismatch:
        _open(monitor)
    assert str(mismatch.value) == (
        f"STATE_DB_PATH={live_settings.state_db_path} is tagged db_role=live but "
        "APP_ROLE=monitor: each role opens only its own database; point STATE_DB_PATH at the "
        "monitor database"
    )


def test_the_control_dir_refusals_say_what_to_do(
    tmp_path: Path, make_settings: MakeSettings
) -> None:
    """Missing: who creates it. A file: point CONTROL_DIR at a directory."""
    settings = make_settings(Role.LIVE)
    with pytest.raises(ConfigError) as refused:
        _open(settings)
    assert str(refused.value) == (
        f"CONTROL_DIR={settings.control_dir} does not exist: it is where the two roles see each "
        "other; `btcbot db init` creates it, or create it yourself"
    )
    settings.control_dir.write_text("x", "utf-8")
    with pytest.raises(ConfigError) as refused:
        _open(settings)
    assert str(refused.value) == (
        f"CONTROL_DIR={settings.control_dir} is a file, not a directory: it is where the two "
        "roles see each other; point CONTROL_DIR at a directory"
    )


def test_a_newer_schema_is_refused_naming_the_file(live_settings: Settings) -> None:
    """Which database a newer btcbot touched, so the operator knows which one to restore."""
    conn = sqlite3.connect(live_settings.state_db_path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match=re.escape(str(live_settings.state_db_path))):
        _open(live_settings)


def test_an_old_database_is_backed_up_beside_itself_then_migrated_on_open(
    tmp_path: Path, make_settings: MakeSettings
) -> None:
    """The backup is named by the database, its old version and the opening time."""
    if latest_version() < 2:
        pytest.skip("only one migration bundled: nothing to migrate forward to")
    settings = make_settings(Role.LIVE)
    settings.control_dir.mkdir()
    settings.state_db_path.parent.mkdir()
    v1_database(settings.state_db_path)
    opened = open_for_role(settings, instance_id="upgrade", now=NOW)
    try:
        holder = read_holder(settings.state_db_path)
        assert holder is not None
        assert holder.instance_id == "upgrade"
        assert opened.migration.from_version == 1
        assert opened.migration.to_version == latest_version()
        assert opened.migration.backup == settings.state_db_path.with_name(
            "state.db.bak-v1-20261123T120000Z"
        )
        assert opened.migration.backup.exists()
    finally:
        opened.close()
