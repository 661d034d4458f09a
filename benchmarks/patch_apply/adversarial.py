"""Adversarial proposals: each tries to leave the workspace or edit what it may not.

The sandbox holds ``outside/`` (files no proposal may touch) next to ``ws/`` (the
workspace, a real git repository with an accept-test file, a symlink to ``outside``,
a symlink to one outside file, a symlink to ``.git``, a binary file and a large file).
After each proposal every file in the sandbox is compared with its snapshot; any
change is an escape (no proposal here is allowed to change anything).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from pytest_agent._types import Task
from pytest_agent.patch import apply_proposal

VICTIM = "def victim():\n    return 1\n"
APP = "def app():\n    return 1\n"
TEST = "def test_app():\n    assert True\n"


def _mod(path_a: str, path_b: str, old: str = "    return 1", new: str = "    return 2",
         head: str = "def victim():") -> str:
    return f"--- {path_a}\n+++ {path_b}\n@@ -1,2 +1,2 @@\n {head}\n-{old}\n+{new}\n"


def _create(path: str) -> str:
    return f"--- /dev/null\n+++ {path}\n@@ -0,0 +1,1 @@\n+owned = True\n"


def cases(sandbox: Path) -> list[tuple[str, str, str]]:
    """``(name, proposal, the rule our engine should name)``."""
    out = sandbox / "outside"
    big = "x" * 2_100_000
    return [
        ("absolute path", _mod(f"{out}/victim.py", f"{out}/victim.py"), "absolute-path"),
        ("absolute create", _create(f"{out}/new.py"), "absolute-path"),
        ("../ escape", _mod("a/../outside/victim.py", "b/../outside/victim.py"), "path-escape"),
        ("nested ../ escape", _mod("a/sub/../../outside/victim.py",
                                   "b/sub/../../outside/victim.py"), "path-escape"),
        ("backslash ..\\ escape", _mod("..\\outside\\victim.py", "..\\outside\\victim.py"),
         "path-escape"),
        ("quoted octal escape", _mod('"a/..\\057outside/victim.py"',
                                     '"b/..\\057outside/victim.py"'), "path-escape"),
        ("diff --git ../", "diff --git a/../outside/victim.py b/../outside/victim.py\n"
         + _mod("a/../outside/victim.py", "b/../outside/victim.py"), "path-escape"),
        ("delete outside", "--- a/../outside/victim.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"
         "-def victim():\n-    return 1\n", "path-escape"),
        ("rename outside", "diff --git a/app.py b/../outside/app.py\nsimilarity index 100%\n"
         "rename from app.py\nrename to ../outside/app.py\n", "path-escape"),
        (".git/config", _mod("a/.git/config", "b/.git/config", "\tbare = false",
                             "\tbare = true", "[core]"), "git-dir"),
        (".git hook create", _create("b/.git/hooks/pre-commit"), "git-dir"),
        ("symlink dir out", _mod("a/link_out/victim.py", "b/link_out/victim.py"),
         "symlink-escape"),
        ("symlink file out", _mod("a/link_file.py", "b/link_file.py"), "symlink-escape"),
        ("symlink create out", _create("b/link_out/new.py"), "symlink-escape"),
        ("symlink into .git", _create("b/gitlink/hooks/post-checkout"), "git-dir"),
        ("accept-test edit", _mod("a/tests/test_app.py", "b/tests/test_app.py",
                                  "    assert True", "    pass", "def test_app():"),
         "test-edit"),
        ("GIT binary patch", "diff --git a/data.bin b/data.bin\nindex 1..2 100644\n"
         "GIT binary patch\nliteral 3\nKcmZ>Y&;S4c00031\n\n", "binary"),
        ("Binary files differ", "diff --git a/data.bin b/data.bin\n"
         "Binary files a/data.bin and b/data.bin differ\n", "binary"),
        ("text hunk on a binary file", "--- a/data.bin\n+++ b/data.bin\n@@ -1 +1 @@\n-ab\n+cd\n",
         "binary"),
        ("huge diff", _create("b/huge.py").replace("+owned = True", f"+s = '{big}'"),
         "too-large"),
        ("huge file", _mod("a/big.py", "b/big.py", "x = 1", "x = 2", "# big"), "too-large"),
        ("SEARCH/REPLACE ../", "../outside/victim.py\n```python\n<<<<<<< SEARCH\n"
         "    return 1\n=======\n    return 2\n>>>>>>> REPLACE\n```\n", "path-escape"),
        ("whole file absolute", f"{out}/victim.py\n```python\nowned = True\n```\n",
         "absolute-path"),
        ("whole file .git", ".git/config\n```ini\n[core]\n\tbare = true\n```\n", "git-dir"),
        ("prose names ../ file", "In ../outside/victim.py:\n@@ -1,2 +1,2 @@\n def victim():\n"
         "-    return 1\n+    return 2\n", "parse-error"),
    ]


def _setup(sandbox: Path) -> Path:
    out = sandbox / "outside"
    out.mkdir()
    (out / "victim.py").write_text(VICTIM)
    ws = sandbox / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True, capture_output=True, timeout=30)
    (ws / "app.py").write_text(APP)
    (ws / "tests").mkdir()
    (ws / "tests" / "test_app.py").write_text(TEST)
    (ws / "data.bin").write_bytes(b"ab\x00cd\n")
    (ws / "big.py").write_text("# big\nx = 1\n" + "#" * 2_100_000 + "\n")
    os.symlink(out, ws / "link_out")
    os.symlink(out / "victim.py", ws / "link_file.py")
    os.symlink(ws / ".git", ws / "gitlink")
    return ws


def _snapshot(sandbox: Path) -> dict[str, str]:
    snap: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(sandbox, followlinks=False):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = Path(dirpath) / name
            rel = p.relative_to(sandbox).as_posix()
            if rel == "proposal.diff" or "/.git/index" in rel:
                continue
            if p.is_symlink():
                snap[rel] = "link:" + os.readlink(p)
            else:
                snap[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return snap


def _tool(tool: str) -> Callable[[Path, str], bool]:
    def run(ws: Path, text: str) -> bool:
        if tool == "engine":
            task = Task(id="A", description="", accept_tests=("tests/test_app.py::test_app",))
            return apply_proposal(ws, text, task=task).ok
        diff = ws.parent / "proposal.diff"
        diff.write_text(text)
        if tool == "git apply":
            cmd = ["git", "apply", str(diff)]
        elif tool == "git apply --recount -C1":
            cmd = ["git", "apply", "--recount", "-C1", str(diff)]
        else:
            cmd = ["patch", "-p1", "--fuzz", "2", "--batch", "--no-backup-if-mismatch",
                   "--reject-file=-", "-i", str(diff)]
        try:
            done = subprocess.run(cmd, cwd=ws, capture_output=True, timeout=20,
                                  stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    return run


def run(tools: tuple[str, ...]) -> list[tuple[str, str, dict[str, str]]]:
    """Per case: its name, the expected rule, and per tool ``refused``/``escaped``/..."""
    rows: list[tuple[str, str, dict[str, str]]] = []
    with tempfile.TemporaryDirectory(prefix="patchadv-") as tmp:
        names = cases(Path(tmp) / "s")
    for index in range(len(names)):
        name, _, rule = names[index]
        res: dict[str, str] = {}
        for tool in tools:
            with tempfile.TemporaryDirectory(prefix="patchadv-") as tmp:
                sandbox = Path(tmp) / "s"
                sandbox.mkdir()
                ws = _setup(sandbox)
                text = cases(sandbox)[index][1]
                before = _snapshot(sandbox)
                if tool == "engine":
                    task = Task(id="A", description="",
                                accept_tests=("tests/test_app.py::test_app",))
                    got = apply_proposal(ws, text, task=task)
                    ok = got.ok
                    named = got.rule
                else:
                    ok = _tool(tool)(ws, text)
                    named = None
                after = _snapshot(sandbox)
                changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
                if any(not k.startswith("ws/") or k.startswith("ws/.git/") for k in changed):
                    res[tool] = "ESCAPED"
                elif changed:
                    shown = (k[3:].replace(str(sandbox).lstrip("/"), "<sandbox>") for k in changed)
                    res[tool] = "CHANGED " + ", ".join(sorted(shown))
                elif ok:
                    res[tool] = "accepted, no effect"
                elif tool == "engine":
                    res[tool] = f"refused: {named}" + ("" if named == rule else " (!)")
                else:
                    res[tool] = "refused"
                shutil.rmtree(sandbox, ignore_errors=True)
        rows.append((name, rule, res))
    return rows


def table(rows: list[tuple[str, str, dict[str, str]]], tools: tuple[str, ...]) -> str:
    lines = ["| proposal | " + " | ".join(tools) + " |", "|" + " --- |" * (1 + len(tools))]
    for name, _, res in rows:
        lines.append(f"| {name} | " + " | ".join(res[t] for t in tools) + " |")
    escapes = {t: sum(1 for _, _, r in rows if r[t] == "ESCAPED") for t in tools}
    other = {t: sum(1 for _, _, r in rows if r[t].startswith("CHANGED")) for t in tools}
    lines.append("| **escapes** (outside the workspace or into .git) | "
                 + " | ".join(str(escapes[t]) for t in tools) + " |")
    lines.append("| **other forbidden writes** (accept tests, oversized) | "
                 + " | ".join(str(other[t]) for t in tools) + " |")
    return "\n".join(lines)


