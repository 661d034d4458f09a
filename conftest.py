"""pytest-agent's own conftest.py, at the repository root.

The repository holds a plan of its own (``plans/examples.yaml``) over buggy example
code (``examples/buggy_shop``). ``python -m pytest --agent-all`` here runs those tasks;
their accept tests then run inside a worktree of this repository, where this file is
loaded too. It puts the example package on ``sys.path`` for them, and nothing else:
the test suite's fixtures are in ``tests/conftest.py``, and the suite (``testpaths =
["tests"]``) never collects ``examples/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_EXAMPLE = str(Path(__file__).parent / "examples" / "buggy_shop")
if _EXAMPLE not in sys.path:
    sys.path.insert(0, _EXAMPLE)
