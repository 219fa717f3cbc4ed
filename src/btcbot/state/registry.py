"""The same-file rule: each role registers its database in ``CONTROL_DIR/registry/<role>.json``.

Paths alone cannot tell whether LIVE and MONITOR share a file: a relative spelling, a ``..``
segment, a symlink, a hard link or (on Windows) another letter case all name one file in many
ways. So each role records its database's path and identity (``st_dev``/``st_ino``) where the
other role will look, and a role refuses to open a file that ``os.path.samefile`` says is the
other role's registered database.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from btcbot.domain.enums import Role
from btcbot.domain.errors import SharedDatabaseError, StateError

REGISTRY_DIR = "registry"


@dataclass(frozen=True, slots=True)
class Registration:
    """Where one role's database is and which file it is."""

    role: str
    db_path: str
    st_dev: int
    st_ino: int
    db_uuid: str
    hostname: str
    registered_at: str


def registry_path(control_dir: Path, role: Role) -> Path:
    """``CONTROL_DIR/registry/<role>.json``."""
    return control_dir / REGISTRY_DIR / f"{role.value}.json"


def other_role(role: Role) -> Role:
    """The role a database must never be shared with."""
    return Role.MONITOR if role is Role.LIVE else Role.LIVE


def register(control_dir: Path, role: Role, db_path: Path, *, db_uuid: str, now: datetime) -> None:
    """Record (atomically) that ``role`` uses ``db_path``."""
    try:
        st = db_path.stat()
    except OSError as exc:
        raise StateError(f"cannot stat {db_path}: {exc}") from exc
    entry = Registration(
        role=role.value,
        db_path=str(db_path.absolute()),
        st_dev=st.st_dev,
        st_ino=st.st_ino,
        db_uuid=db_uuid,
        hostname=socket.gethostname(),
        registered_at=now.isoformat(),
    )
    target = registry_path(control_dir, role)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(entry), sort_keys=True, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise StateError(f"cannot register the {role.value} database in {target}: {exc}") from exc


def read_registration(control_dir: Path, role: Role) -> Registration | None:
    """``role``'s registration, or None if it never registered (or the file is unreadable)."""
    try:
        raw = json.loads(registry_path(control_dir, role).read_text(encoding="utf-8"))
        return Registration(**{k: raw[k] for k in Registration.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _canonical(path: Path) -> str:
    # realpath folds symlinks and '..'; normcase folds letter case where the OS does (Windows).
    return os.path.normcase(os.path.realpath(path))


def is_same_file(path: Path, registered: Registration) -> bool:
    """Whether ``path`` and the registered database are one file, however each is spelled."""
    other = Path(registered.db_path)
    try:
        if path.samefile(other):
            return True
    except OSError:
        pass
    else:
        return False
    if _canonical(path) == _canonical(other):
        return True
    try:
        st = path.stat()
    except OSError:
        return False
    # The registered path is gone (moved or renamed): fall back to the recorded file identity.
    return registered.st_ino != 0 and (st.st_dev, st.st_ino) == (
        registered.st_dev,
        registered.st_ino,
    )


def check_not_shared(control_dir: Path, role: Role, db_path: Path) -> None:
    """Refuse when ``db_path`` is the database the other role registered."""
    other = other_role(role)
    registered = read_registration(control_dir, other)
    if registered is None or not is_same_file(db_path, registered):
        return
    raise SharedDatabaseError(
        f"STATE_DB_PATH={db_path} is the same file as the {other.value.upper()} database "
        f"({registered.db_path}, registered in {registry_path(control_dir, other)}): each role "
        f"needs its own database; if {other.value.upper()} no longer uses that file, delete "
        "the registration"
    )
