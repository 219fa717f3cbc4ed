"""Set up (or reuse) the project's virtualenv and run every quality gate, in CI's order.

Usage: ``python3 tools/check.py [pytest args...]``. Works on Linux and Windows; needs only a
Python >= 3.11 on PATH. Gates: ruff format --check, ruff check, mypy --strict, lint-imports,
pytest. The first failing gate stops the run with its exit code.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".btcbot-deps"


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_venv() -> Path:
    """Create .venv if missing and (re)install the project when pyproject.toml changed."""
    if not _python().exists():
        print("creating virtualenv in .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text(encoding="utf-8") != digest:
        print("installing btcbot and its dev dependencies into .venv", flush=True)
        subprocess.run(
            [str(_python()), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"],
            check=True,
        )
        STAMP.write_text(digest, encoding="utf-8")
    return _python()


def main(argv: list[str]) -> int:
    """Run the gates; return the first non-zero exit code, or 0."""
    py = ensure_venv()
    gates: list[tuple[str, list[str]]] = [
        ("ruff format", [str(py), "-m", "ruff", "format", "--check", "."]),
        ("ruff check", [str(py), "-m", "ruff", "check", "."]),
        ("mypy", [str(py), "-m", "mypy"]),
        ("lint-imports", [str(BIN / "lint-imports")]),
        # The ten slowest tests close every run, so a creeping suite shows before CI's limit.
        # worksteal: an idle worker takes queued tests from the busy one. The default ("load")
        # deals the first quarter of the tests out in turn, and whichever worker draws more of
        # the long end-to-end scenarios then ran its queue alone for minutes.
        (
            "pytest",
            [str(py), "-m", "pytest", "-n", "2", "--dist", "worksteal", "--durations=10", *argv],
        ),
    ]
    for name, cmd in gates:
        print(f"== {name}", flush=True)
        code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
        if code != 0:
            print(f"== {name} failed (exit {code})", flush=True)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
