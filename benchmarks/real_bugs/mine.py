"""Find real bug-fix commits in the mirrors and verify that each reproduces.

Step 1, ``candidates``: walk the history of HEAD of a mirror and keep
non-merge commits that

- change at least one test file (a ``.py`` under tests/ or named test_*.py) and
  1..``--max-src-files`` non-test ``.py`` files of the package (not setup.py,
  docs, examples, benchmarks, stubs),
- change at most ``--max-src-lines`` lines (added + deleted) of those files,
- say they fix something (fix, bug, wrong, incorrect, crash, regression, #N...)
  and are not only about docs, typos, typing or style.

Step 2, ``verify``: for each candidate, build two trees in a temp dir, (a) the
parent's tree with the fix's test files laid over it and (b) the fix's tree, run
the fix's test modules in both (plain pytest, no plugin autoload, 60 s per-test
timeout), and keep the bug when some tests fail in (a) and pass in (b): those are
its accept tests. Dropped candidates keep their reason (candidates.json).

    python benchmarks/real_bugs/mine.py candidates PROJECT... > /dev/null
    python benchmarks/real_bugs/mine.py verify PROJECT... --jobs 2
    python benchmarks/real_bugs/mine.py add PROJECT...   # verified -> bugs.json

Projects are the keys of ``PROJECTS`` below (repo, license, src layout).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _git import changed_files  # noqa: E402
from _git import changed_functions  # noqa: E402
from _git import first_changed_line  # noqa: E402
from _git import git  # noqa: E402
from _git import is_test_path  # noqa: E402
from _git import mirror_dir  # noqa: E402
from _git import qualnames  # noqa: E402
from _git import show  # noqa: E402
from materialize import MANIFEST  # noqa: E402
from materialize import prepare_tree  # noqa: E402
from materialize import run_pytest  # noqa: E402

__all__ = ["PROJECTS", "candidates", "verify"]

CANDIDATES = HERE / "candidates.json"
MAX_BUGS = 10  # per project, newest first: no project dominates the corpus
REVIEW = HERE / "review.json"  # by hand: {id: {"fault_kind": "...", "exclude": "why"}}

# repo, license, and where the package lives ("src" layout or the root); the BugsInPy
# projects and the published APR benchmarks are excluded by policy (see README.md).
PROJECTS: dict[str, dict[str, str]] = {
    "more-itertools": {"repo": "more-itertools/more-itertools", "license": "MIT"},
    "toolz": {"repo": "pytoolz/toolz", "license": "BSD-3-Clause"},
    "boltons": {"repo": "mahmoud/boltons", "license": "BSD-3-Clause"},
    "semver": {"repo": "python-semver/python-semver", "license": "BSD-3-Clause"},
    "humanize": {"repo": "python-humanize/humanize", "license": "MIT",
                 "dist_name": "humanize"},
    "cachetools": {"repo": "tkem/cachetools", "license": "MIT"},
    "pathspec": {"repo": "cpburnz/python-pathspec", "license": "MPL-2.0"},
    "tomlkit": {"repo": "python-poetry/tomlkit", "license": "MIT"},
    "parse": {"repo": "r1chardj0n3s/parse", "license": "MIT"},
    "tabulate": {"repo": "astanin/python-tabulate", "license": "MIT"},
    # held out (issue #17): projects nobody tunes on; their bugs measure, never guide
    "click": {"repo": "pallets/click", "license": "BSD-3-Clause", "split": "heldout"},
    "marshmallow": {"repo": "marshmallow-code/marshmallow", "license": "MIT",
                    "split": "heldout"},
    "pydash": {"repo": "dgilland/pydash", "license": "MIT", "split": "heldout"},
    "funcy": {"repo": "Suor/funcy", "license": "BSD-3-Clause", "split": "heldout"},
    # prettytable: candidates only, not verified (its tests need the pytest-lazy-fixtures plugin)
    "prettytable": {"repo": "jazzband/prettytable", "license": "BSD-3-Clause",
                    "split": "heldout"},
    "cerberus": {"repo": "pyeve/cerberus", "license": "ISC", "split": "heldout"},
    "jsonpickle": {"repo": "jsonpickle/jsonpickle", "license": "BSD-3-Clause",
                   "split": "heldout"},
    "sqlparse": {"repo": "andialbrecht/sqlparse", "license": "BSD-3-Clause",
                 "split": "heldout"},
    "jinja": {"repo": "pallets/jinja", "license": "BSD-3-Clause", "split": "heldout"},
    "markdown": {"repo": "Python-Markdown/markdown", "license": "BSD-3-Clause",
                 "split": "heldout"},
    "pyjwt": {"repo": "jpadilla/pyjwt", "license": "MIT", "split": "heldout"},
    "tenacity": {"repo": "jd/tenacity", "license": "Apache-2.0", "split": "heldout"},
    # study (issue #17): yet other projects, whose misses the team reads to learn what
    # generalizes; tuning on them bug by bug would make them a second tuned split
    "jmespath": {"repo": "jmespath/jmespath.py", "license": "MIT", "split": "study"},
    "tinydb": {"repo": "msiemens/tinydb", "license": "MIT", "split": "study"},
    "voluptuous": {"repo": "alecthomas/voluptuous", "license": "BSD-3-Clause",
                   "split": "study"},
    "isodate": {"repo": "gweis/isodate", "license": "BSD-3-Clause", "split": "study"},
    "inflect": {"repo": "jaraco/inflect", "license": "MIT", "split": "study"},
    "xmltodict": {"repo": "martinblech/xmltodict", "license": "MIT", "split": "study"},
    "hyperlink": {"repo": "python-hyper/hyperlink", "license": "MIT", "split": "study"},
    "bidict": {"repo": "jab/bidict", "license": "MPL-2.0", "split": "study"},
    "schema": {"repo": "keleshev/schema", "license": "MIT", "split": "study"},
    "dacite": {"repo": "konradhalas/dacite", "license": "MIT", "split": "study"},
    "natsort": {"repo": "SethMMorton/natsort", "license": "MIT", "split": "study"},
    "pyparsing": {"repo": "pyparsing/pyparsing", "license": "MIT", "split": "study"},
    # arrow: its newest 15 candidates verified, 13 reproduce, none kept (translation data and
    # features); pyparsing and attrs: candidates only (each verification of pyparsing's
    # test_unit.py took minutes on the loaded machine)
    "arrow": {"repo": "arrow-py/arrow", "license": "Apache-2.0", "split": "study"},
    "dotenv": {"repo": "theskumar/python-dotenv", "license": "BSD-3-Clause",
               "split": "study"},
    "attrs": {"repo": "python-attrs/attrs", "license": "MIT", "split": "study"},
    "lark": {"repo": "lark-parser/lark", "license": "MIT", "split": "study"},
    # dpath: candidates only, none verified (every fix's tests import nose, gone on 3.11)
    "dpath": {"repo": "dpath-maintainers/dpath-python", "license": "MIT", "split": "study"},
    # check (issue #17): yet other projects, for counts only: the figure that tells a change
    # that generalizes from one fitted to tuned/study (nobody reads their per-bug rankings);
    # candidates only (README.md says why): soupsieve, packaging, parsimonious, jsonpatch,
    # sortedcontainers, humanfriendly, textdistance, glom, slugify, markdown2
    "mistune": {"repo": "lepture/mistune", "license": "BSD-3-Clause", "split": "check"},
    "soupsieve": {"repo": "facelessuser/soupsieve", "license": "MIT", "split": "check"},
    "structlog": {"repo": "hynek/structlog", "license": "MIT OR Apache-2.0", "split": "check"},
    "dateutil": {"repo": "dateutil/dateutil", "license": "Apache-2.0 AND BSD-3-Clause",
                 "split": "check"},
    # packaging: candidates only; pytest imports the installed packaging before any
    # conftest can put the tree's copy first, so no fix's tests run on its own code
    "packaging": {"repo": "pypa/packaging", "license": "Apache-2.0 OR BSD-2-Clause",
                  "split": "check"},
    "parsimonious": {"repo": "erikrose/parsimonious", "license": "MIT", "split": "check"},
    "bottle": {"repo": "bottlepy/bottle", "license": "MIT", "split": "check"},
    # pint: from 4bf26dd1 (2026-05) on it needs Python 3.12+ (a `type` statement)
    "pint": {"repo": "hgrecco/pint", "license": "BSD-3-Clause", "split": "check",
             "head": "4bf26dd1^"},
    "jsonpatch": {"repo": "stefankoegl/python-json-patch", "license": "BSD-3-Clause",
                  "split": "check"},
    "sortedcontainers": {"repo": "grantjenks/python-sortedcontainers", "license": "Apache-2.0",
                         "split": "check"},
    "bleach": {"repo": "mozilla/bleach", "license": "Apache-2.0", "split": "check"},
    "humanfriendly": {"repo": "xolox/python-humanfriendly", "license": "MIT", "split": "check"},
    "docopt-ng": {"repo": "jazzband/docopt-ng", "license": "MIT", "split": "check"},
    "pygments": {"repo": "pygments/pygments", "license": "BSD-2-Clause", "split": "check"},
    "textdistance": {"repo": "life4/textdistance", "license": "MIT", "split": "check"},
    "glom": {"repo": "mahmoud/glom", "license": "BSD-3-Clause", "split": "check"},
    "slugify": {"repo": "un33k/python-slugify", "license": "MIT", "split": "check"},
    "markdown2": {"repo": "trentm/python-markdown2", "license": "MIT", "split": "check"},
    # study2 (issue #17, ninth round): held-out-like projects (medium and larger code bases,
    # text pipelines, validation) whose misses are read like the study split's
    "markdown-it-py": {"repo": "executablebooks/markdown-it-py", "license": "MIT",
                       "split": "study2"},
    # rich: tests/pytest.ini (junit_family only) would make tests/ the rootdir and the node
    # ids relative to it; "remove" leaves it out of the trees (space-separated paths)
    "rich": {"repo": "Textualize/rich", "license": "MIT", "split": "study2",
             "remove": "tests/pytest.ini"},
    "loguru": {"repo": "Delgan/loguru", "license": "MIT", "split": "study2"},
    "pyflakes": {"repo": "PyCQA/pyflakes", "license": "MIT", "split": "study2"},
    "isort": {"repo": "PyCQA/isort", "license": "MIT", "split": "study2"},
    "wtforms": {"repo": "wtforms/wtforms", "license": "BSD-3-Clause", "split": "study2"},
    "webob": {"repo": "Pylons/webob", "license": "MIT", "split": "study2",
              "dist_name": "WebOb"},
    "tinycss2": {"repo": "Kozea/tinycss2", "license": "BSD-3-Clause", "split": "study2"},
    "jsonschema": {"repo": "python-jsonschema/jsonschema", "license": "MIT", "split": "study2"},
    "mistletoe": {"repo": "miyuchina/mistletoe", "license": "MIT", "split": "study2"},
    "mako": {"repo": "sqlalchemy/mako", "license": "MIT", "split": "study2"},
    "configargparse": {"repo": "bw2/ConfigArgParse", "license": "MIT", "split": "study2"},
    "validators": {"repo": "python-validators/validators", "license": "MIT", "split": "study2"},
}

_FIX = re.compile(r"\b(fix(e[sd])?|bug|bugfix|wrong|incorrect(ly)?|crash(es)?|regression|"
                  r"broken|error|fail(s|ing|ure)?|handle|correct(ly)?|issue)\b|#\d+", re.I)
_NOT_A_FIX = re.compile(r"\b(typos?|docs|docstrings?|typing|type hints?|annotations?|"
                        r"stubs?|lint|flake8|mypy|pyupgrade|readme|changelog|"
                        r"spelling|grammar)\b", re.I)
_NOT_SRC = re.compile(r"(^|/)(setup|conftest|noxfile|tasks|fabfile)\.py$|(^|/)(docs?|examples?|"
                      r"benchmarks?|scripts?|tools?|\.github)/|\.pyi$")


def _src_root(gitdir: Path, sha: str) -> str:
    out = git(gitdir, "ls-tree", "--name-only", sha)
    assert isinstance(out, str)
    return "src" if "src" in out.split() else ""


def candidates(project: str, *, max_src_files: int, max_src_lines: int,
               limit: int) -> list[dict[str, Any]]:
    gitdir = mirror_dir(PROJECTS[project]["repo"])
    # "head": where the walk starts when the newest history cannot run here (Python 3.11)
    log = git(gitdir, "log", "--no-merges", "--format=%H%x00%P%x00%s",
              PROJECTS[project].get("head", "HEAD"))
    assert isinstance(log, str)
    found = []
    for line in log.splitlines():
        sha, parents, subject = line.split("\x00", 2)
        if len(parents.split()) != 1 or not _FIX.search(subject) or _NOT_A_FIX.search(subject):
            continue
        parent = parents.split()[0]
        files = changed_files(gitdir, parent, sha)
        tests = [f for f in files if is_test_path(f.path)]
        src = [f for f in files if f.path.endswith(".py") and not is_test_path(f.path)
               and not _NOT_SRC.search(f.path)]
        if not any(t.path.endswith(".py") and t.status != "D" for t in tests):
            continue
        if not 1 <= len(src) <= max_src_files:
            continue
        size = sum(f.added + f.deleted for f in src)
        if size > max_src_lines or any(f.status != "M" for f in src):
            continue
        changed = [{"file": f.path, "function": name} for f in src
                   for name in changed_functions(gitdir, parent, sha, f.path)]
        found.append({
            "id": f"{project}-{sha[:7]}", "project": project, "fix_commit": sha,
            "buggy_commit": parent, "subject": subject, "src_lines": size,
            "changed": changed,
            "test_files": [t.path for t in tests if t.status != "D"],
            "deleted_test_files": [t.path for t in tests if t.status == "D"],
            "src_root": _src_root(gitdir, parent),
        })
        if len(found) >= limit:
            break
    return found


def _test_modules(cand: dict[str, Any]) -> list[str]:
    # test_*.py, and *_test.py as pytest collects them too (jsonpickle's tests/*_test.py)
    return [t for t in cand["test_files"] if t.endswith(".py")
            and not t.endswith("conftest.py")
            and (Path(t).name.startswith("test") or t.endswith("_test.py"))]


def verify(cand: dict[str, Any]) -> dict[str, Any]:
    """Run the fix's test modules on the buggy and on the fixed tree; set accept tests."""
    project = PROJECTS[cand["project"]]
    gitdir = mirror_dir(project["repo"])
    modules = _test_modules(cand)
    removed = tuple(project.get("remove", "").split())  # left out of both trees
    result = dict(cand)
    if not modules:
        result.update(verdict="dropped", reason="the fix changed no test module")
        return result
    with tempfile.TemporaryDirectory(prefix="real-bugs-verify-") as tmp:
        buggy = prepare_tree(gitdir, cand["buggy_commit"], cand["fix_commit"],
                             tuple(cand["test_files"]), Path(tmp) / "buggy",
                             src_root=cand["src_root"],
                             deleted=tuple(cand["deleted_test_files"]),
                             dist_name=project.get("dist_name", ""), removed=removed)
        fixed = prepare_tree(gitdir, cand["fix_commit"], cand["fix_commit"], (),
                             Path(tmp) / "fixed", src_root=cand["src_root"],
                             dist_name=project.get("dist_name", ""), removed=removed)
        at_fix = run_pytest(fixed, modules)
        at_bug = run_pytest(buggy, modules)
    accept = sorted(n for n, o in at_bug.tests.items()
                    if o == "failed" and at_fix.tests.get(n) == "passed")
    result["n_tests"] = len(at_fix.tests)
    if not at_fix.tests:
        result.update(verdict="dropped", reason="the fix's tests do not run at the fix: "
                      + (next(iter(at_fix.collect_errors.values()), at_fix.output)[-300:]))
    elif at_bug.collect_errors:
        result.update(verdict="dropped", reason="the fix's test module does not import at the "
                      "parent (new API): " + next(iter(at_bug.collect_errors.values()))[-300:])
    elif not accept:
        result.update(verdict="dropped", reason="no test fails at the parent and passes at the"
                      " fix")
    else:
        result.update(verdict="verified", accept_tests=accept,
                      line=first_changed_line(gitdir, cand["buggy_commit"], cand["fix_commit"],
                                              cand["changed"][0]["file"],
                                              cand["changed"][0]["function"]),
                      failing_at_fix=sorted(n for n, o in at_fix.tests.items() if o == "failed"))
    return result


def _verify_or_drop(cand: dict[str, Any]) -> dict[str, Any]:
    """verify(), or the candidate dropped with the error as its reason: one tree that
    cannot be built must not lose the verdicts of a whole project."""
    try:
        return verify(cand)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return dict(cand, verdict="dropped", reason=f"could not build the trees: {exc!r}")


def _locate(cand: dict[str, Any]) -> None:
    gitdir = mirror_dir(PROJECTS[cand["project"]]["repo"])
    files = sorted({c["file"] for c in cand["changed"]}, key=[c["file"] for c in
                                                             cand["changed"]].index)
    changed = [{"file": f, "function": name} for f in files
               for name in changed_functions(gitdir, cand["buggy_commit"],
                                             cand["fix_commit"], f)]
    defined = {f: qualnames(show(gitdir, cand["buggy_commit"], f) or b"") for f in files}
    # a def that exists in the buggy code leads over a helper the fix added (stable sort)
    cand["changed"] = sorted(changed, key=lambda c: c["function"] not in defined[c["file"]])
    if cand.get("verdict") == "verified" and cand["changed"]:
        first = cand["changed"][0]
        cand["line"] = first_changed_line(gitdir, cand["buggy_commit"], cand["fix_commit"],
                                          first["file"], first["function"])


def _reason(c: dict[str, Any], review: dict[str, Any]) -> str:
    if c.get("verdict") == "verified":
        if c["id"] not in review:
            return "not reviewed yet"
        if review[c["id"]].get("exclude"):
            return "review: " + str(review[c["id"]]["exclude"]).split(":")[0]
        return f"a bug, but older than its project's {MAX_BUGS} newest"
    reason = str(c.get("reason", "not verified yet"))
    for short in ("new API", "do not run at the fix", "no test fails", "no test module"):
        if short in reason:
            return {"new API": "test module does not import at the parent (new API)",
                    "do not run at the fix": "the fix's tests do not run here",
                    "no test fails": "no test fails at the parent and passes at the fix",
                    "no test module": "the fix changed no test module"}[short]
    return reason[:80]


def report(store: dict[str, Any]) -> str:
    """The mining figures per project, and one row per bug of the tuned split (markdown):
    the held-out bugs' fault kinds and functions are not spread further than bugs.json."""
    review = _load(REVIEW)
    manifest = _load(MANIFEST) or {"bugs": []}
    in_corpus = {b["id"] for b in manifest["bugs"]}
    lines = ["| project | split | candidates | verified (fail at parent, pass at fix) |"
             " in corpus |", "| --- | --- | --- | --- | --- |"]
    reasons: dict[str, int] = {}
    for project, cands in store.items():
        verified = sum(c.get("verdict") == "verified" for c in cands)
        kept = sum(c["id"] in in_corpus for c in cands)
        lines.append(f"| {project} | {_split(project)} | {len(cands)} | {verified} | {kept} |")
        for c in cands:
            if c["id"] not in in_corpus:
                why = _reason(c, review)
                reasons[why] = reasons.get(why, 0) + 1
    total = sum(len(c) for c in store.values())
    lines.append(f"| **all** | | {total} | "
                 f"{sum(c.get('verdict') == 'verified' for cs in store.values() for c in cs)}"
                 f" | {len(in_corpus)} |")
    lines += ["", "Why candidates are not in the corpus:", "", "| reason | candidates |",
              "| --- | --- |"]
    lines += [f"| {why} | {n} |" for why, n in sorted(reasons.items(), key=lambda x: -x[1])]
    per_split = Counter(b.get("split", "tuned") for b in manifest["bugs"])
    tuned = [b for b in manifest["bugs"] if b.get("split", "tuned") == "tuned"]
    manifest = {"bugs": tuned}
    lines += ["", "Splits: " + ", ".join(f"{n} {split}" for split, n in per_split.items())
              + " bugs. What follows is about the tuned split only."]
    kinds: dict[str, int] = {}
    for b in manifest["bugs"]:
        kind = b["fault_kind"].split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    lines += ["", "Fault kinds (our review; the words after the colon are in bugs.json):", "",
              ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda x: -x[1])),
              "", "Size of the developer's fix (package lines added + deleted): median "
              f"{statistics.median(b['src_lines'] for b in manifest['bugs'])}, "
              f"{sum(b['src_lines'] <= 5 for b in manifest['bugs'])} of "
              f"{len(manifest['bugs'])} at most 5 lines; "
              f"{sum(len({c['function'] for c in b['changed']}) == 1 for b in manifest['bugs'])}"
              " change one function." if manifest["bugs"] else ""]
    lines += ["", "| bug | changed function (file) | fault kind | accept tests | lines changed |",
              "| --- | --- | --- | --- | --- |"]
    for b in manifest["bugs"]:
        first = b["changed"][0]
        more = f" +{len(b['changed']) - 1}" if len(b["changed"]) > 1 else ""
        kind = b["fault_kind"].replace("|", "\\|")
        lines.append(f"| {b['id']} | `{first['function']}`{more} ({first['file']}) | "
                     f"{kind} | {len(b['accept_tests'])} | {b['src_lines']} |")
    return "\n".join(lines)


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["candidates", "verify", "refresh", "add", "report"])
    parser.add_argument("projects", nargs="*", default=list(PROJECTS))
    parser.add_argument("--max-src-files", type=int, default=2)
    parser.add_argument("--max-src-lines", type=int, default=30)
    parser.add_argument("--limit", type=int, default=40, help="candidates per project")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-verify", type=int, default=1000,
                        help="verify at most this many candidates per project (newest first)")
    parser.add_argument("--max-bugs", type=int, default=MAX_BUGS,
                        help="add: at most this many bugs per project (newest first)")
    args = parser.parse_args(argv)
    store = _load(CANDIDATES)
    if args.step == "candidates":
        for project in args.projects:
            found = candidates(project, max_src_files=args.max_src_files,
                               max_src_lines=args.max_src_lines, limit=args.limit)
            old = {c["id"]: c for c in store.get(project, [])}
            store[project] = [old.get(c["id"], c) for c in found]
            print(f"{project}: {len(found)} candidates", file=sys.stderr)
    elif args.step == "verify":
        for project in args.projects:
            todo = [c for c in store.get(project, [])[:args.max_verify] if "verdict" not in c]
            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                done = {r["id"]: r for r in pool.map(_verify_or_drop, todo)}
            store[project] = [done.get(c["id"], c) for c in store[project]]
            ok = sum(c.get("verdict") == "verified" for c in store[project])
            print(f"{project}: {ok} verified of {len(store[project])}", file=sys.stderr)
            CANDIDATES.write_text(json.dumps(store, indent=1) + "\n")
    elif args.step == "refresh":  # recompute changed functions and lines, no test runs
        for project in args.projects:
            for c in store.get(project, []):
                _locate(c)
    elif args.step == "report":
        print(report(store))
        return 0
    else:
        _add(store, args.projects, args.max_bugs)
        return 0
    CANDIDATES.write_text(json.dumps(store, indent=1) + "\n")
    return 0


def _split(project: str) -> str:
    """``heldout`` for a project nobody tunes on (issue #17), ``study`` or ``study2`` for one
    whose misses are read to learn what generalizes, ``check`` for one measured by counts
    only, else ``tuned``."""
    return PROJECTS[project].get("split", "tuned")


def _add(store: dict[str, Any], projects: list[str], max_bugs: int) -> None:
    """Verified and reviewed candidates (review.json: fault kind, or why excluded) into
    bugs.json; the manifest is rewritten in the order of PROJECTS and of history."""
    review = _load(REVIEW)
    manifest = _load(MANIFEST) or {"projects": {}, "bugs": []}
    bugs = {b["id"]: b for b in manifest["bugs"]}
    for project in projects:
        manifest["projects"][project] = PROJECTS[project]
        kept = 0
        for c in store.get(project, []):
            if kept >= max_bugs:
                bugs.pop(c["id"], None)
                continue
            judged = review.get(c["id"], {})
            if c.get("verdict") != "verified" or "fault_kind" not in judged:
                continue
            if judged.get("exclude"):
                bugs.pop(c["id"], None)
                continue
            _locate(c)
            kept += 1
            bugs[c["id"]] = {
                "id": c["id"], "project": project, "fix_commit": c["fix_commit"],
                "buggy_commit": c["buggy_commit"], "src_root": c["src_root"],
                "test_files": c["test_files"], "deleted_test_files": c["deleted_test_files"],
                "accept_tests": c["accept_tests"], "changed": c["changed"],
                "line": c["line"], "fault_kind": judged["fault_kind"],
                "src_lines": c["src_lines"], "split": _split(project),
            }
    for bug in bugs.values():  # bugs added before the splits existed
        bug.setdefault("split", _split(bug["project"]))
    order = {c["id"]: (list(PROJECTS).index(p), i) for p, cs in store.items()
             for i, c in enumerate(cs)}
    manifest["bugs"] = sorted(bugs.values(), key=lambda b: order.get(b["id"], (99, 0)))
    manifest["projects"] = {p: PROJECTS[p] for p in PROJECTS
                            if any(b["project"] == p for b in manifest["bugs"])}
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
