"""Set up (or reuse) the project's virtualenv and run ``btcbot demo`` in it.

Usage: ``python3 tools/demo.py [demo args...]`` (e.g. ``--cycles 300 --seed 7``). The README's
second quick-start command: needs only a Python >= 3.11 on PATH, no credentials and no network
beyond what the first install of the dependencies needs. Exits with the demo's exit code.
"""

from __future__ import annotations

import subprocess
import sys

# ``python3 tools/demo.py`` puts tools/ first on sys.path, so the gate runner's helper imports.
from check import ROOT, ensure_venv


def main(argv: list[str]) -> int:
    """Run ``python -m btcbot demo`` inside .venv and return its exit code."""
    py = ensure_venv()
    return subprocess.run(
        [str(py), "-m", "btcbot", "demo", *argv], cwd=ROOT, check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
