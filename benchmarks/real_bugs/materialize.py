"""Rebuild a real bug of the corpus from a local git mirror, at run time.

Nothing of the projects' code is committed here: ``bugs.json`` names the project,
the fix commit and its parent, the fix's test files and node ids, and the function
the developer changed. :func:`materialize` writes, into a directory of your choice,

    <dest>/<bug id>/           a git repo (one commit, "buggy"): the project's tree at
                               the parent of the fix, with the fix's version of the test
                               files laid over it (the bug is visible: accept tests fail)
      meta.json                as in benchmarks/corpus: description, file, line, function,
                               fault_kind, accept_tests (+ project, commits, heldout_tests)
      fix.diff                 the developer's change of the non-test files, made from the
                               mirror (``git diff parent fix``), ``git apply``-able here

``meta.json`` and ``fix.diff`` are listed in ``.git/info/exclude`` so the repo is clean.

    python benchmarks/real_bugs/materialize.py BUG_ID DEST     # one bug
    python benchmarks/real_bugs/materialize.py --list          # the ids

Mirrors are read from ``$REAL_BUGS_MIRRORS/<owner>+<name>/repo`` (default
``/work/.mirror``); see README.md for how to fetch them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _git import export_tree  # noqa: E402
from _git import git  # noqa: E402
from _git import mirror_dir  # noqa: E402
from _git import qualnames  # noqa: E402
from _git import show  # noqa: E402

__all__ = [
    "MANIFEST",
    "SPLITS",
    "TEST_IMPORTS",
    "Bug",
    "Outcomes",
    "developer_diff",
    "load_manifest",
    "materialize",
    "missing_test_imports",
    "prepare_tree",
    "require_test_imports",
    "run_pytest",
]

MANIFEST = HERE / "bugs.json"
# "tuned": the bugs the team measures and tunes on; "heldout": bugs of projects nobody
# tunes on (issue #17), run only at the end for an honest figure; "study": bugs of yet other
# projects whose misses the team reads to learn what generalizes (not tuned on bug by bug);
# "check": bugs of yet other projects that the team measures on by counts only (top-1/3/5),
# to tell a change that generalizes from one fitted to tuned/study; "study2": bugs of
# held-out-like projects (larger code bases, text pipelines), read like the study split's
# because the rules written on study's small projects did not transfer to held-out. Readers
# of the manifest get the tuned split unless they ask for another, so held-out bugs never
# leak by default.
SPLITS = ("tuned", "heldout", "study", "check", "study2", "all")
HARNESS_MARK = "# real_bugs harness:"
EXCLUDED = ("meta.json", "fix.diff")
#: What each project's tests import beyond pytest and hypothesis (requirements.txt
#: installs them). On a machine without one, the project's tests fail on the import,
#: not on the bug: such a bug is refused (``materialize``, the benchmarks' start).
TEST_IMPORTS: dict[str, tuple[str, ...]] = {
    "funcy": ("whatever",),
    "pyjwt": ("cryptography",),
    "jinja": ("markupsafe",),
    "jsonpickle": ("numpy",),
    "marshmallow": ("pytz", "simplejson"),
    "structlog": ("pretend", "freezegun"),
    "bleach": ("webencodings",),
    "pint": ("flexcache", "flexparser", "platformdirs"),
    "markdown-it-py": ("mdurl",),
    "rich": ("markdown_it",),
    "mistletoe": ("parameterized",),
    "jsonschema": ("attrs", "referencing", "jsonschema_specifications", "rpds"),
    "mako": ("markupsafe",),
    "configargparse": ("yaml",),
}
BASE_ARGS = ("-p", "no:cacheprovider", "-o", "addopts=", "-q", "--no-header", "-rN",
             "-p", "real_bugs_outcomes", "-p", "pytest_timeout", "--timeout", "60")


@dataclass(frozen=True)
class Bug:
    id: str
    project: str
    repo: str
    license: str
    fix_commit: str
    buggy_commit: str
    test_files: tuple[str, ...]  # every test-side file the fix added or changed
    accept_tests: tuple[str, ...]
    changed: tuple[dict[str, str], ...]  # {"file", "function"} of the developer's fix
    line: int
    fault_kind: str
    src_root: str = ""  # "src" for a src layout: put on sys.path by a harness conftest
    dist_name: str = ""  # write <dist_name>-0.0.0.dist-info: the package reads its metadata
    deleted_test_files: tuple[str, ...] = ()
    # files of the project the harness leaves out of both trees: rich's tests/pytest.ini
    # (only junit_family) makes tests/ the rootdir, so node ids would not be the root's
    removed: tuple[str, ...] = ()
    split: str = "tuned"  # "heldout": measured at the end (#17); "study": read, not tuned on;
    # "check": measured by counts only; "study2": read like study (held-out-like projects)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gitdir(self) -> Path:
        return mirror_dir(self.repo)

    @property
    def file(self) -> str:
        return self.changed[0]["file"]

    @property
    def function(self) -> str:
        return self.changed[0]["function"]


def load_manifest(path: Path = MANIFEST, *, split: str = "tuned") -> list[Bug]:
    """The bugs of ``bugs.json`` in ``split`` (``tuned`` by default, ``heldout``,
    ``study``, ``check``, ``study2``, or ``all``), project fields (repo, license, src_root)
    merged in."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r}: expected one of {', '.join(SPLITS)}")
    data = json.loads(path.read_text(encoding="utf-8"))
    projects = data["projects"]
    bugs = []
    for entry in data["bugs"]:
        project = projects[entry["project"]]
        entry_split = entry.get("split", project.get("split", "tuned"))
        if split not in ("all", entry_split):
            continue
        known = {k: entry[k] for k in ("id", "project", "fix_commit", "buggy_commit",
                                       "line", "fault_kind")}
        bugs.append(Bug(
            **known,
            repo=project["repo"], license=project["license"],
            src_root=entry.get("src_root", project.get("src_root", "")),
            dist_name=project.get("dist_name", ""),
            test_files=tuple(entry["test_files"]),
            accept_tests=tuple(entry["accept_tests"]),
            changed=tuple(entry["changed"]),
            deleted_test_files=tuple(entry.get("deleted_test_files", ())),
            removed=tuple(project.get("remove", "").split()),
            split=entry_split,
            extra={k: v for k, v in entry.items() if k not in known and k not in (
                "test_files", "accept_tests", "changed", "deleted_test_files", "src_root",
                "split")},
        ))
    return bugs


def _harness_conftest(root: Path, src_root: str) -> None:
    """Put ``src_root`` first on sys.path from a root conftest (relative to the file, so
    copies of the tree import their own source)."""
    if not src_root:
        return
    lines = (f"{HARNESS_MARK} {src_root}/ first on sys.path (src layout, not installed)\n"
             "import os as _os, sys as _sys\n"
             f"_sys.path.insert(0, _os.path.join(_os.path.dirname(_os.path.abspath(__file__)),"
             f" {src_root!r}))\n")
    conftest = root / "conftest.py"
    old = conftest.read_text(encoding="utf-8") if conftest.exists() else ""
    conftest.write_text(lines + old, encoding="utf-8")


_VERSION_FILE = re.compile(
    r"^\s*(?:[\w.-]*\.)?(?:version[-_]file|write_to)\s*=\s*[\"']([^\"']+\.py)[\"']", re.M)


def _generated_version_file(root: Path) -> None:
    """Write the version module that setuptools-scm / hatch-vcs would generate on install
    (a tree from ``git archive`` lacks it and the package cannot be imported without)."""
    for config in ("pyproject.toml", "setup.py", "setup.cfg"):
        path = root / config
        if not path.is_file():
            continue
        for rel in _VERSION_FILE.findall(path.read_text(encoding="utf-8", errors="replace")):
            target = root / rel
            if not target.exists() and target.parent.is_dir():
                target.write_text(f"{HARNESS_MARK} generated on install by the build backend\n"
                                  "__version__ = version = '0.0.0'\n"
                                  "__version_tuple__ = version_tuple = (0, 0, 0)\n",
                                  encoding="utf-8")


def _dist_info(root: Path, dist_name: str) -> None:
    """Installed-distribution metadata at the root (which is on sys.path), for a package
    that reads its own version with importlib.metadata / pkg_resources at import."""
    info = root / f"{dist_name}-0.0.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\n"
                                   "Version: 0.0.0\n", encoding="utf-8")


def prepare_tree(gitdir: Path, code_sha: str, tests_sha: str, test_files: tuple[str, ...],
                 dest: Path, *, src_root: str = "", deleted: tuple[str, ...] = (),
                 dist_name: str = "", removed: tuple[str, ...] = ()) -> Path:
    """The tree of ``code_sha`` with ``test_files`` as they are at ``tests_sha``, less the
    files ``removed`` (the project's ``remove``: a harness choice, not the fix's)."""
    export_tree(gitdir, code_sha, dest)
    for rel in test_files:
        data = show(gitdir, tests_sha, rel)
        target = dest / rel
        if target.is_dir():  # a submodule's gitlink (lark's tests/test_nearley/nearley)
            continue
        if data is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for rel in (*deleted, *removed):
        (dest / rel).unlink(missing_ok=True)
    _harness_conftest(dest, src_root)
    _generated_version_file(dest)
    if dist_name:
        _dist_info(dest, dist_name)
    return dest


@dataclass
class Outcomes:
    tests: dict[str, str]
    collect_errors: dict[str, str]
    returncode: int
    output: str

    def passed(self, nodeid: str) -> bool:
        return self.tests.get(nodeid) == "passed"

    def failed(self, nodeid: str) -> bool:
        return self.tests.get(nodeid) == "failed"


def pytest_env(root: Path, outcomes: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(HERE)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["REAL_BUGS_OUTCOMES"] = str(outcomes)
    return env


def run_pytest(root: Path, args: list[str], *, timeout: float = 300) -> Outcomes:
    """``python -m pytest args`` in ``root`` (no plugin autoload, per-test timeout 60 s)."""
    with tempfile.TemporaryDirectory(prefix="real-bugs-out-") as tmp:
        out = Path(tmp) / "outcomes.json"
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", *BASE_ARGS, *args],
                                  cwd=root, env=pytest_env(root, out), capture_output=True,
                                  text=True, timeout=timeout, check=False,
                                  start_new_session=True)
            code, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, output = -9, f"timed out after {timeout} s: {exc}"
        data = json.loads(out.read_text()) if out.exists() else {"tests": {},
                                                                  "collect_errors": {}}
    return Outcomes(data["tests"], data["collect_errors"], code, output[-4000:])


def developer_diff(bug: Bug) -> str:
    """The developer's change of the non-test files (what the fix did to the code)."""
    files = sorted({c["file"] for c in bug.changed})
    diff = git(bug.gitdir, "diff", "--no-renames", bug.buggy_commit, bug.fix_commit, "--",
               *files)
    assert isinstance(diff, str)
    return diff


def _description(bug: Bug) -> str:
    subject = git(bug.gitdir, "log", "-1", "--format=%s", bug.fix_commit)
    assert isinstance(subject, str)
    tests = ", ".join(t.rsplit("::", 1)[-1] for t in bug.accept_tests[:4])
    more = f" and {len(bug.accept_tests) - 4} more" if len(bug.accept_tests) > 4 else ""
    return f"{subject.strip()} (failing: {tests}{more})"


def _git_init(root: Path) -> None:
    def run(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, timeout=120)

    run("init", "-q", "-b", "main")
    run("config", "user.email", "real-bugs@example.invalid")
    run("config", "user.name", "real-bugs")
    run("config", "commit.gpgsign", "false")
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    with open(root / ".git" / "info" / "exclude", "a", encoding="utf-8") as f:
        f.write("\n".join(EXCLUDED) + "\n__pycache__/\n.pytest_cache/\n")
    run("add", "-A")
    # harness files may match the project's .gitignore (a generated _version.py): the
    # agent's worktrees are checked out from HEAD, so they must be committed all the same
    harness = [str(p.relative_to(root)) for p in root.glob("*-0.0.0.dist-info")]
    harness += [str(p.relative_to(root)) for p in root.rglob("*.py")
                if ".git" not in p.parts and _is_harness_file(p)]
    if harness:
        run("add", "-f", "--", *harness)
    run("commit", "-q", "-m", "buggy")


def _is_harness_file(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(HARNESS_MARK)) == HARNESS_MARK.encode()


def missing_test_imports(projects: Iterable[str]) -> dict[str, list[str]]:
    """Per project of ``projects``, the test imports (``TEST_IMPORTS``) this Python lacks."""
    found: dict[str, list[str]] = {}
    for project in dict.fromkeys(projects):
        missing = [name for name in TEST_IMPORTS.get(project, ())
                   if importlib.util.find_spec(name) is None]
        if missing:
            found[project] = missing
    return found


def require_test_imports(projects: Iterable[str]) -> None:
    """Raise ``RuntimeError`` naming what to install when a project's tests could not run."""
    missing = missing_test_imports(projects)
    if missing:
        names = "; ".join(f"{p} needs {', '.join(m)}" for p, m in sorted(missing.items()))
        raise RuntimeError(f"test dependencies missing ({names}): python -m pip install -r "
                           f"{(HERE / 'requirements.txt').relative_to(HERE.parents[1])}")


def materialize(bug_id: str, dest: Path, *, manifest: Path = MANIFEST) -> Path:
    """Write the runnable bug ``bug_id`` to ``dest/<bug_id>`` and return that directory."""
    bugs = {b.id: b for b in load_manifest(manifest, split="all")}
    if bug_id not in bugs:
        raise KeyError(f"{bug_id}: no such bug in {manifest}")
    bug = bugs[bug_id]
    require_test_imports([bug.project])
    if not bug.gitdir.is_dir():
        raise FileNotFoundError(f"{bug.gitdir}: no mirror of {bug.repo}; fetch github:{bug.repo}"
                                " (see benchmarks/real_bugs/README.md)")
    root = Path(dest) / bug.id
    if root.exists():
        raise FileExistsError(f"{root} exists")
    prepare_tree(bug.gitdir, bug.buggy_commit, bug.fix_commit, bug.test_files, root,
                 src_root=bug.src_root, deleted=bug.deleted_test_files,
                 dist_name=bug.dist_name, removed=bug.removed)
    _git_init(root)
    (root / "fix.diff").write_text(developer_diff(bug), encoding="utf-8")
    test_modules = sorted({t.split("::", 1)[0] for t in bug.accept_tests})
    meta = {
        "description": _description(bug),
        "file": bug.file,
        "line": bug.line,
        "function": bug.function,
        "fault_kind": bug.fault_kind,
        "accept_tests": list(bug.accept_tests),
        "changed": [dict(c) for c in bug.changed],
        "project": bug.project,
        "repo": bug.repo,
        "license": bug.license,
        "fix_commit": bug.fix_commit,
        "buggy_commit": bug.buggy_commit,
        "test_files": list(bug.test_files),
        # the developer's held-out check: the fix's test modules in full and the project's
        # whole test suite, as they pass with fix.diff applied (see run.py)
        "heldout_tests": test_modules,
        "src_root": bug.src_root,
        "split": bug.split,
        # the developer added this def (a missing member, e.g. __eq__): it has no lines here
        "function_is_new": bug.function != "<module>" and bug.function not in qualnames(
            (root / bug.file).read_bytes()),
    }
    (root / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return root


def check(bug_id: str) -> tuple[bool, str]:
    """Materialize ``bug_id`` and run its accept tests: all fail as built, all pass once
    ``fix.diff`` is applied. Returns (ok, what went wrong)."""
    with tempfile.TemporaryDirectory(prefix="real-bugs-check-") as tmp:
        root = materialize(bug_id, Path(tmp))
        accept = json.loads((root / "meta.json").read_text(encoding="utf-8"))["accept_tests"]
        before = run_pytest(root, accept)
        still = [n for n in accept if not before.failed(n)]
        if still:
            return False, f"not failing as built: {still[:3]}"
        subprocess.run(["git", "apply", "fix.diff"], cwd=root, check=True, timeout=60,
                       capture_output=True)
        after = run_pytest(root, accept)
        broken = [n for n in accept if not after.passed(n)]
        if broken:
            return False, f"not passing with fix.diff: {broken[:3]}"
    return True, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bug_id", nargs="?")
    parser.add_argument("dest", nargs="?", type=Path)
    parser.add_argument("--list", action="store_true", help="print the ids and exit")
    parser.add_argument("--check", action="store_true",
                        help="materialize each bug (or BUG_ID) in a temp dir and check that its"
                        " accept tests fail, and pass with fix.diff applied")
    parser.add_argument("--split", choices=SPLITS, default="tuned",
                        help="--list / --check the bugs of this split (default: tuned)")
    args = parser.parse_args(argv)
    if args.check:
        failures = 0
        bugs = [bug for bug in load_manifest(split=args.split)
                if not args.bug_id or args.bug_id in bug.id]
        try:
            require_test_imports(bug.project for bug in bugs)
        except RuntimeError as exc:
            parser.exit(2, f"{parser.prog}: {exc}\n")
        for bug in bugs:
            ok, why = check(bug.id)
            failures += not ok
            print(f"{bug.id}: {'ok' if ok else 'FAILED ' + why}", flush=True)
        return 1 if failures else 0
    if args.list or not args.bug_id:
        for bug in load_manifest(split=args.split):
            print(bug.id, bug.split, bug.fault_kind, sep="\t")
        return 0
    dest = args.dest or Path(tempfile.mkdtemp(prefix="real-bug-"))
    print(materialize(args.bug_id, dest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
