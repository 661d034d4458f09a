"""Git plumbing for the real-bug corpus: read a fetched mirror, never write to it.

Every call runs ``git --git-dir <mirror>`` as a subprocess with a timeout; the
mirrors under ``/work/.mirror/<owner>+<name>/repo`` (from the search tool's
``fetch``) are bare-like git directories without a work tree.
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ChangedFile",
    "changed_files",
    "changed_functions",
    "export_tree",
    "first_changed_line",
    "git",
    "is_test_path",
    "mirror_dir",
    "missing_blobs",
    "qualnames",
    "show",
]

MIRRORS_ENV = "REAL_BUGS_MIRRORS"
DEFAULT_MIRRORS = "/work/.mirror"
GIT_TIMEOUT = 120


def mirror_dir(repo: str) -> Path:
    """The git directory of ``owner/name``'s mirror (``$REAL_BUGS_MIRRORS/owner+name/repo``)."""
    base = Path(os.environ.get(MIRRORS_ENV, DEFAULT_MIRRORS))
    return base / repo.replace("/", "+") / "repo"


def git(gitdir: Path, *args: str, binary: bool = False) -> str | bytes:
    proc = subprocess.run(["git", "--git-dir", str(gitdir), *args], capture_output=True,
                          timeout=GIT_TIMEOUT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {gitdir}: "
                           f"{proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout if binary else proc.stdout.decode(errors="replace")


def show(gitdir: Path, sha: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``sha``, or None when it does not exist there."""
    proc = subprocess.run(["git", "--git-dir", str(gitdir), "show", f"{sha}:{path}"],
                          capture_output=True, timeout=GIT_TIMEOUT, check=False)
    return proc.stdout if proc.returncode == 0 else None


def missing_blobs(gitdir: Path, sha: str) -> list[str]:
    """Paths of the tree of ``sha`` whose blobs the mirror lacks (a snapshot from ``fetch``
    leaves out files of 4 MiB and more: benchmark data, fixtures)."""
    listing = git(gitdir, "ls-tree", "-r", "-z", sha)
    assert isinstance(listing, str)
    entries = [line.split("\t", 1) for line in listing.split("\0") if line]
    blobs = [(head.split()[2], path) for head, path in entries if head.split()[1] == "blob"]
    proc = subprocess.run(["git", "--git-dir", str(gitdir), "cat-file", "--batch-check"],
                          input="\n".join(b for b, _ in blobs).encode(), capture_output=True,
                          timeout=GIT_TIMEOUT, check=True)
    answers = proc.stdout.decode(errors="replace").splitlines()
    return [path for (_, path), answer in zip(blobs, answers, strict=True)
            if answer.endswith(" missing")]


def export_tree(gitdir: Path, sha: str, dest: Path) -> None:
    """Write the tree of ``sha`` into ``dest`` (``git archive``, so no .git, no submodules);
    files whose blobs the mirror lacks are left out."""
    try:
        data = git(gitdir, "archive", "--format=tar", sha, binary=True)
    except RuntimeError:
        missing = missing_blobs(gitdir, sha)
        if not missing:
            raise
        data = git(gitdir, "archive", "--format=tar", sha, "--", ".",
                   *(f":(exclude,literal){path}" for path in missing), binary=True)
    assert isinstance(data, bytes)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="tar")


_TEST_DIR = re.compile(r"(^|/)(tests?|testing)(/|$)")
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_tests?|conftest)\.py$")


def is_test_path(path: str) -> bool:
    return bool(_TEST_DIR.search(path) or _TEST_FILE.search(path))


@dataclass(frozen=True)
class ChangedFile:
    path: str
    added: int
    deleted: int
    status: str  # A, M, D, R...


def changed_files(gitdir: Path, parent: str, sha: str) -> list[ChangedFile]:
    out = git(gitdir, "diff", "--no-renames", "--numstat", parent, sha)
    status = git(gitdir, "diff", "--no-renames", "--name-status", parent, sha)
    assert isinstance(out, str) and isinstance(status, str)
    kinds = {}
    for line in status.splitlines():
        kind, _, path = line.partition("\t")
        kinds[path] = kind[:1]
    files = []
    for line in out.splitlines():
        added, deleted, path = line.split("\t", 2)
        if added == "-":  # binary
            files.append(ChangedFile(path, 0, 0, kinds.get(path, "M")))
            continue
        files.append(ChangedFile(path, int(added), int(deleted), kinds.get(path, "M")))
    return files


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _hunks(gitdir: Path, parent: str, sha: str, path: str) -> list[tuple[int, int, int, int]]:
    diff = git(gitdir, "diff", "--no-renames", "-U0", parent, sha, "--", path)
    assert isinstance(diff, str)
    hunks = []
    for line in diff.splitlines():
        m = _HUNK.match(line)
        if m:
            hunks.append((int(m[1]), int(m[2] or 1), int(m[3]), int(m[4] or 1)))
    return hunks


def _scopes(source: bytes) -> tuple[list[tuple[int, int, str]], set[int]]:
    """(first line, last line, qualname) of every def and class, outer before inner; and
    the lines that carry no behaviour: docstrings, blank and comment lines, and module-level
    ``__version__``-style dunder assignments."""
    text = source.decode("utf-8", errors="replace").splitlines()
    inert = {i for i, line in enumerate(text, 1)
             if not line.strip() or line.lstrip().startswith("#")}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], inert
    scopes: list[tuple[int, int, str]] = []

    def docstring(node: ast.AST) -> None:
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            inert.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))

    def visit(node: ast.AST, prefix: str) -> None:
        docstring(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                scopes.append((first, child.end_lineno or child.lineno, name))
                inner = f"{name}.<locals>." if not isinstance(child, ast.ClassDef) else name + "."
                visit(child, inner)
            else:
                visit(child, prefix)

    visit(tree, "")
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and all(
                isinstance(t, ast.Name) and t.id.startswith("__") for t in stmt.targets):
            inert.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return scopes, inert


def qualnames(source: bytes) -> set[str]:
    """Every def and class qualname in ``source`` (``<locals>`` as in ``__qualname__``)."""
    return {name for _, _, name in _scopes(source)[0]}


def _innermost(scopes: list[tuple[int, int, str]], line: int) -> str:
    best = "<module>"
    width = None
    for first, last, name in scopes:
        if first <= line <= last and (width is None or last - first < width):
            best, width = name, last - first
    return best


def changed_functions(gitdir: Path, parent: str, sha: str, path: str) -> list[str]:
    """Qualnames of the innermost defs (or ``<module>``) whose lines the fix changed.

    Deleted and replaced lines are placed in the parent's source, added lines in the
    fix's source; docstrings, comments, blank lines and module dunders (``__version__``)
    do not count. The scope with the most changed lines comes first.
    """
    old = show(gitdir, parent, path) or b""
    new = show(gitdir, sha, path) or b""
    (old_scopes, old_inert), (new_scopes, new_inert) = _scopes(old), _scopes(new)
    counts: dict[str, int] = {}
    for o_start, o_len, n_start, n_len in _hunks(gitdir, parent, sha, path):
        # a pure insertion (o_len == 0) is placed by its added lines alone
        for line in range(o_start, o_start + o_len):
            if line not in old_inert:
                name = _innermost(old_scopes, line)
                counts[name] = counts.get(name, 0) + 1
        for line in range(n_start, n_start + n_len):
            if line not in new_inert:
                name = _innermost(new_scopes, line)
                counts[name] = counts.get(name, 0) + 1
    # most changed lines first (stable: first changed first among equals)
    return sorted(counts, key=lambda n: -counts[n])


def first_changed_line(gitdir: Path, parent: str, sha: str, path: str, function: str) -> int:
    """The first behaviour-carrying line of ``function`` in the parent that the fix replaced
    or deleted, or for a pure insertion the line before which code was inserted."""
    old = show(gitdir, parent, path) or b""
    new = show(gitdir, sha, path) or b""
    (old_scopes, old_inert), (new_scopes, new_inert) = _scopes(old), _scopes(new)
    for o_start, o_len, n_start, n_len in _hunks(gitdir, parent, sha, path):
        for line in range(o_start, o_start + o_len):
            if line not in old_inert and _innermost(old_scopes, line) == function:
                return line
        if o_len == 0 and any(line not in new_inert and _innermost(new_scopes, line) == function
                              for line in range(n_start, n_start + n_len)):
            return o_start + 1
    return 1
