"""``python -m pytest_agent``: the same as the ``pytest-agent`` console command."""

from __future__ import annotations

import sys

from pytest_agent.cli import main

if __name__ == "__main__":
    sys.exit(main())
