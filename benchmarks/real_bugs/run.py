"""The offline engine on the real-bug corpus, as a user would run it.

For each bug of ``bugs.json`` (materialized from the local mirror into a temp dir):

1. a plan ``plans/real.yaml`` with one task: the bug's id, its description (the fix
   commit's subject and the failing tests' names) and its accept tests; no ``files``
   hint;
2. ``python -m pytest --agent-run <id>`` in the materialized repo, offline engine,
   default settings and budgets (60 s, 400 candidates), only our plugin loaded (as the
   demo does), except one attempt per task (``max_reflexion_retries: 0`` in the plan;
   ``--retries -1`` keeps the default 3): a retry after a failed offline search repeats
   the same search, so the default costs 4 x 60 s per bug the engine cannot repair;
3. the verdict, read from the plan and the branch ``agent/<id>``:

   - *repaired*: the task is done (the harness verified the accept tests), and the
     accept tests pass again here on the branch's tree;
   - *equal to the developer's fix*: repaired, and either the changed functions' ASTs
     equal the developer's (docstrings aside), or every test that passes with the
     developer's fix (the fix's test modules in full and the project's test suite)
     also passes with the repair (held-out check);
   - *plausible but wrong*: repaired and not equal.

    python benchmarks/real_bugs/run.py                   # every tuned bug; RESULTS-run.md
    python benchmarks/real_bugs/run.py --split heldout   # the held-out projects (#17)
    python benchmarks/real_bugs/run.py --split study     # the study projects: RESULTS-run-study.md
    python benchmarks/real_bugs/run.py --split check     # counts only: RESULTS-run-check.md
    python benchmarks/real_bugs/run.py -k tomlkit --no-write
    python benchmarks/real_bugs/run.py --jobs 2          # two bugs at a time

The code under test is the ``pytest_agent`` of this checkout (put first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _git import show  # noqa: E402
from materialize import SPLITS  # noqa: E402
from materialize import Bug  # noqa: E402
from materialize import load_manifest  # noqa: E402
from materialize import materialize  # noqa: E402
from materialize import run_pytest  # noqa: E402


def _outputs(split: str) -> tuple[Path, Path]:
    """results.json and RESULTS-run.md of a split (the tuned split keeps the old names)."""
    suffix = "" if split == "tuned" else f"-{split}"
    return HERE / f"results{suffix}.json", HERE / f"RESULTS-run{suffix}.md"
RUN_TIMEOUT = 900.0
#: Seconds each of the two runs of the held-out check (with the developer's fix, with
#: the repair) may take: with ``--continue-on-collection-errors`` a project's whole test
#: directory runs, and stress tests that each hit the 60 s per-test timeout made one
#: click check take 20 minutes. A cut run keeps the outcomes of the tests it finished.
HELDOUT_BUDGET = 300.0


@dataclass
class Verdict:
    id: str
    project: str
    fault_kind: str
    status: str  # the plan's status after the run
    repaired: bool
    equal_ast: bool
    heldout_pass: bool | None  # None: not checked (not repaired)
    seconds: float
    diff_lines: int
    last_error: str
    #: The repair's changed lines (``-old`` / ``+new``, first 600 characters): what won.
    repair: str = ""
    #: The held-out check was cut by HELDOUT_BUDGET: it compared the tests both runs
    #: finished.
    heldout_cut: bool = False

    @property
    def equal(self) -> bool:
        return self.repaired and (self.equal_ast or bool(self.heldout_pass))

    @property
    def plausible_wrong(self) -> bool:
        return self.repaired and not self.equal


#: Settings given with ``--set name=value`` (``AGENT_<NAME>`` in the runs' environment):
#: a budget experiment runs the same bugs with other settings, all else equal.
OVERRIDES: dict[str, str] = {}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AGENT_"))}
    env.update({f"AGENT_{name.upper()}": value for name, value in OVERRIDES.items()})
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(name, None)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTEST_PLUGINS"] = "pytest_agent.plugin"
    env["AGENT_ENGINE"] = "offline"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = str(REPO)
    return env


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          timeout=120, check=True).stdout


def write_plan(root: Path, meta: dict[str, Any], task_id: str, retries: int | None) -> None:
    task: dict[str, Any] = {"id": task_id, "description": meta["description"],
                            "accept_tests": meta["accept_tests"]}
    if retries is not None:
        task["max_reflexion_retries"] = retries
    plan = {"tasks": [task | {"status": "pending", "attempts": 0}]}
    (root / "plans").mkdir()
    # ruamel.yaml, the project's own YAML library (PyYAML is not installed on a fresh
    # machine, and CI imports this module in tests/test_offline_real_bugs_runner.py).
    with open(root / "plans" / "real.yaml", "w", encoding="utf-8") as out:
        YAML(typ="safe", pure=True).dump(plan, out)
    with open(root / ".git" / "info" / "exclude", "a", encoding="utf-8") as f:
        f.write("plans/\nmemory/\n")


def _strip_docstring(node: ast.AST) -> ast.AST:
    body = getattr(node, "body", None)
    if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
        node.body = body[1:]  # type: ignore[attr-defined]
    return node


def _function(source: bytes | None, qualname: str) -> str | None:
    """``ast.dump`` of ``qualname`` (docstring aside), or of the module's other statements
    for ``<module>``; None when absent or unparsable."""
    if source is None:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if qualname == "<module>":
        rest = [n for n in tree.body if not isinstance(
            n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        return ast.dump(_strip_docstring(ast.Module(body=rest, type_ignores=[])))
    scope: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for part in qualname.replace(".<locals>", "").split("."):
        node = next((n for n in scope if isinstance(
            n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == part), None)
        if node is None:
            return None
        scope = node.body
    assert node is not None
    if isinstance(node, ast.ClassDef):  # a changed class body: compare its non-def statements
        body = [n for n in node.body
                if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        node = copy.copy(node)
        node.body = body
    return ast.dump(_strip_docstring(node))


def _changed_py(root: Path, base: str, head: str) -> list[str]:
    out = _git(root, "diff", "--name-only", base, head)
    return [p for p in out.splitlines() if p.endswith(".py")]


def equal_ast(bug: Bug, root: Path, branch: str) -> bool:
    """The repair's version of every function either side changed equals the fix's."""
    from _git import changed_functions

    targets = {(c["file"], c["function"]) for c in bug.changed}
    files = set(_changed_py(root, "main", branch)) | {c["file"] for c in bug.changed}
    repo_git = root / ".git"
    for rel in files:
        for name in changed_functions(repo_git, "main", branch, rel):
            targets.add((rel, name))
    for rel, name in targets:
        mine = subprocess.run(["git", "show", f"{branch}:{rel}"], cwd=root,
                              capture_output=True, timeout=60, check=False).stdout
        theirs = show(bug.gitdir, bug.fix_commit, rel)
        a, b = _function(mine, name), _function(theirs, name)
        if a is None or a != b:
            return False
    return True


def _suite(root: Path, meta: dict[str, Any]) -> list[str]:
    """The fix's test modules and the directory of tests they live in (the project's suite)."""
    dirs = sorted({str(Path(t).parent) for t in meta["heldout_tests"]})
    return dirs or list(meta["heldout_tests"])


def heldout(root: Path, meta: dict[str, Any], branch: str,
            budget: float = HELDOUT_BUDGET) -> tuple[bool, bool]:
    """Every test that passes with the developer's fix passes with the repair too, and
    whether a run was cut by its ``budget`` (then: of the tests both runs finished)."""
    with tempfile.TemporaryDirectory(prefix="real-bugs-heldout-") as tmp:
        dev = Path(tmp) / "dev"
        rep = Path(tmp) / "rep"
        _git(root, "worktree", "add", "-q", "--detach", str(dev), "main")
        _git(root, "worktree", "add", "-q", "--detach", str(rep), branch)
        try:
            _git(dev, "apply", str(root / "fix.diff"))
            # A test module that cannot be imported here (humanize's freezegun, tomlkit's
            # toml-test data) would interrupt the whole run and fail every repair's check.
            args = ["--continue-on-collection-errors", *_suite(root, meta)]
            with_fix = run_pytest(dev, args, timeout=budget)
            with_repair = run_pytest(rep, args, timeout=budget)
        finally:
            for tree in (dev, rep):
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=root,
                               capture_output=True, timeout=120, check=False)
    cut = with_repair.returncode == -9 or with_fix.returncode == -9
    need = [n for n, o in with_fix.tests.items() if o == "passed"
            and (not cut or n in with_repair.tests)]
    return bool(need) and all(with_repair.passed(n) for n in need), cut


def run_bug(bug: Bug, keep: bool = False, retries: int | None = 0) -> Verdict:
    tmp = Path(tempfile.mkdtemp(prefix="real-bugs-run-"))
    try:
        root = materialize(bug.id, tmp)
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        write_plan(root, meta, bug.id, retries)
        start = time.monotonic()
        argv = [sys.executable, "-m", "pytest", "--agent-run", bug.id, "-p", "no:cacheprovider",
                "-o", "addopts=", "-q", "plans/real.yaml"]
        try:
            proc = subprocess.run(argv, cwd=root, env=_env(), capture_output=True, text=True,
                                  timeout=RUN_TIMEOUT, check=False, start_new_session=True)
            output = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired:
            output = f"outer run timed out after {RUN_TIMEOUT} s"
        seconds = time.monotonic() - start
        (HERE / "logs").mkdir(exist_ok=True)
        (HERE / "logs" / f"{bug.id}.log").write_text(output, encoding="utf-8")
        plan = YAML(typ="safe", pure=True).load(
            (root / "plans" / "real.yaml").read_text(encoding="utf-8"))
        task = plan["tasks"][0]
        status = str(task.get("status"))
        last_error = str(task.get("last_error") or "").strip().splitlines()
        branch = f"agent/{bug.id}"
        has_branch = bool(_git(root, "branch", "--list", branch).strip())
        repaired = eq = False
        held: bool | None = None
        cut = False
        diff_lines = 0
        repair = ""
        if status == "done" and has_branch:
            diff = _git(root, "diff", "main", branch)
            changed = [line for line in diff.splitlines()
                       if line[:1] in "+-" and line[:3] not in ("+++", "---")]
            diff_lines = len(changed)
            repair = "\n".join(changed)[:600]
            with tempfile.TemporaryDirectory(prefix="real-bugs-check-") as check:
                tree = Path(check) / "t"
                _git(root, "worktree", "add", "-q", "--detach", str(tree), branch)
                repaired = all(run_pytest(tree, list(bug.accept_tests)).passed(n)
                               for n in bug.accept_tests)
                _git(root, "worktree", "remove", "--force", str(tree))
            if repaired:
                eq = equal_ast(bug, root, branch)
                held, cut = heldout(root, meta, branch)
        return Verdict(bug.id, bug.project, bug.fault_kind, status, repaired, eq, held,
                       round(seconds, 1), diff_lines, (last_error or [""])[0][:160], repair,
                       heldout_cut=cut)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def round_robin(bugs: list[Bug]) -> list[Bug]:
    """One bug of each project in turn (a run cut short still covers every project)."""
    by_project: dict[str, list[Bug]] = {}
    for bug in bugs:
        by_project.setdefault(bug.project, []).append(bug)
    queues = list(by_project.values())
    out: list[Bug] = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                          capture_output=True, timeout=60, check=False).stdout.strip()


def report(verdicts: list[Verdict], commit: str, retries: int | None = 0,
           per_bug: bool = True) -> str:
    n = len(verdicts)
    rep = sum(v.repaired for v in verdicts)
    eq = sum(v.equal for v in verdicts)
    wrong = sum(v.plausible_wrong for v in verdicts)
    secs = [v.seconds for v in verdicts]
    lines = [
        f"Offline engine on {n} real bugs, pytest-agent at commit {commit}, "
        + (", ".join(f"{k}={v}" for k, v in sorted(OVERRIDES.items())) + ", other settings"
           if OVERRIDES else "default settings")
        + f" and budgets, max_reflexion_retries {'default' if retries is None else retries}"
        f" (run by benchmarks/real_bugs/run.py; 2 cores shared with other work).",
        "",
        "| | bugs |", "| --- | --- |",
        f"| repaired (accept tests pass) | {rep}/{n} |",
        f"| equal to the developer's fix (same AST, or every test that passes with the"
        f" developer's fix passes) | {eq}/{n} |",
        f"| plausible but wrong | {wrong}/{n} |",
        "",
        f"Held-out checks cut at their budget ({HELDOUT_BUDGET:.0f} s a run; they compared the"
        f" tests both runs finished): {sum(v.heldout_cut for v in verdicts)}.",
        "",
        f"Time per bug (the whole `pytest --agent-run`): median {statistics.median(secs):.1f} s,"
        f" max {max(secs):.1f} s." if secs else "",
        "",
        *_breakdown(verdicts),
    ]
    if not per_bug:  # the check split is read by its counts only (#17)
        return "\n".join([*lines, "", "Per-bug rows are not written for this split."]) + "\n"
    lines += [
        "",
        "| bug | fault kind | status | repaired | equal (AST / held-out) | diff lines | time |"
        " first line of last_error |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for v in verdicts:
        eq_txt = "-" if not v.repaired else (
            f"{'yes' if v.equal else 'no'} ({'=' if v.equal_ast else '≠'} / "
            f"{'pass' if v.heldout_pass else 'fail'}"
            f"{f', check cut at {HELDOUT_BUDGET:.0f} s' if v.heldout_cut else ''})")
        err = v.last_error.replace("|", "\\|")
        kind = v.fault_kind.replace("|", "\\|")
        lines.append(f"| {v.id} | {kind} | {v.status} | {'yes' if v.repaired else 'no'}"
                     f" | {eq_txt} | {v.diff_lines or '-'} | {v.seconds:.0f} s | {err} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only bugs whose id contains this")
    parser.add_argument("--ids", default="", help="only these bugs (comma-separated ids)")
    parser.add_argument("--split", choices=SPLITS, default="tuned",
                        help="the bugs of this split of bugs.json (default: tuned; heldout:"
                        " the held-out projects, writes results-heldout.json and"
                        " RESULTS-run-heldout.md; check: counts only, RESULTS-run-check.md"
                        " without per-bug rows)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the materialized repos")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--merge", action="store_true",
                        help="rerun the selected bugs and keep the other verdicts (and the"
                        " commit label) of results.json")
    parser.add_argument("--commit", default="", help="label the run with this commit"
                        " (default: HEAD of this checkout)")
    parser.add_argument("--retries", type=int, default=0,
                        help="the task's max_reflexion_retries (default 0: one attempt; -1:"
                        " the setting's default, 3, which repeats a failed search 3 more times)")
    parser.add_argument("--baseline-check", action="store_true",
                        help="run no repair: compare the accept tests' outcomes in a plain"
                        " pytest run with the harness's baseline and the engine's validators"
                        " on the unchanged code (baseline_check.py); counts only for check")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of the runs (AGENT_<NAME>), e.g. --set"
                        " offline_max_candidates=2000; repeatable; the report names them")
    args = parser.parse_args(argv)
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            parser.error(f"--set {item!r}: expected NAME=VALUE")
        OVERRIDES[name.strip().lower()] = value.strip()
    retries = None if args.retries < 0 else args.retries
    ids = set(args.ids.split(",")) if args.ids else None
    results_json, _ = _outputs(args.split)
    bugs = round_robin([b for b in load_manifest(split=args.split)
                        if args.k in b.id and (ids is None or b.id in ids)])
    commit = args.commit or _commit()
    if args.baseline_check:
        return baseline_check(bugs, args.jobs, per_bug=args.split != "check")
    verdicts: list[Verdict] = []
    kept: list[Verdict] = []
    if args.merge and results_json.exists():  # keep the other bugs' verdicts of an earlier run
        earlier = json.loads(results_json.read_text(encoding="utf-8"))
        commit = earlier["commit"]
        chosen = {b.id for b in bugs}
        kept = [Verdict(**{k: v for k, v in d.items() if k not in ("equal", "plausible_wrong")})
                for d in earlier["bugs"] if d["id"] not in chosen]
    total = len(bugs) + len(kept)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for v in pool.map(lambda b: run_bug(b, args.keep, retries), bugs):
            verdicts.append(v)
            print(f"{v.id}: {v.status} repaired={v.repaired} equal={v.equal} "
                  f"{v.seconds:.0f}s {v.last_error[:100]}", flush=True)
            if v.repair:
                print("    " + v.repair.replace("\n", "\n    "), flush=True)
            if not args.no_write:  # after every bug: a run cut short keeps what it measured
                _write(_in_order(kept + verdicts), commit, total, retries, args.split)
    print(report(_in_order(kept + verdicts), commit, retries, per_bug=args.split != "check"))
    return 0


#: Seconds one bug's baseline check may take (materialize, four worlds).
BASELINE_CHECK_TIMEOUT = 600.0


def _baseline_row(bug: Bug) -> dict[str, Any]:
    """``baseline_check.py`` on one bug, in the environment of a harness run."""
    argv = [sys.executable, str(HERE / "baseline_check.py"), bug.id]
    try:
        proc = subprocess.run(argv, env=_env(), capture_output=True, text=True,
                              timeout=BASELINE_CHECK_TIMEOUT, check=False,
                              start_new_session=True)
    except subprocess.TimeoutExpired:
        return {"id": bug.id, "mismatch": {"check timed out": []}}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"id": bug.id, "mismatch": {"check failed": [proc.stderr.strip()[-300:]]}}
    row: dict[str, Any] = json.loads(lines[-1])
    return row


def baseline_check(bugs: list[Bug], jobs: int, *, per_bug: bool) -> int:
    """Count the bugs whose accept tests fail differently in the engine's validators (or
    the harness's baseline) than in a plain pytest run, with the code unchanged."""
    counts: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(_baseline_row, bugs):
            rows.append(row)
            for kind in row["mismatch"] or ["none"]:
                counts[kind] = counts.get(kind, 0) + 1
            if per_bug:
                print(json.dumps(row), flush=True)
    n = len(rows)
    any_ = sum(bool(r["mismatch"]) for r in rows)
    print(f"baseline check: {any_} of {n} bugs with a mismatch")
    for kind, k in sorted(counts.items(), key=lambda x: -x[1]):
        print(f"  {kind}: {k}")
    return 0


def _why(v: Verdict) -> str:
    """The kind of a failure, from the first line of the task's last_error."""
    err = v.last_error
    if v.repaired:
        return "repaired"
    for needle, kind in (("time budget", "search: time budget ran out"),
                         ("candidate budget", "search: candidate budget ran out"),
                         ("max_candidates", "search: candidate budget ran out"),
                         ("exhausted", "search: repair space exhausted"),
                         ("regression", "a candidate passed the accept tests, broke others"),
                         ("not started", "search not started (tests could not run)"),
                         ("timed out", "timed out")):
        if needle in err:
            return kind
    return "other: " + err[:60]


def _breakdown(verdicts: list[Verdict]) -> list[str]:
    lines = ["", "| project | bugs | repaired | equal |", "| --- | --- | --- | --- |"]
    projects: dict[str, list[Verdict]] = {}
    for v in verdicts:
        projects.setdefault(v.project, []).append(v)
    for name, vs in projects.items():
        lines.append(f"| {name} | {len(vs)} | {sum(v.repaired for v in vs)} |"
                     f" {sum(v.equal for v in vs)} |")
    whys: dict[str, int] = {}
    for v in verdicts:
        whys[_why(v)] = whys.get(_why(v), 0) + 1
    lines += ["", "| outcome | bugs |", "| --- | --- |"]
    lines += [f"| {k} | {n} |" for k, n in sorted(whys.items(), key=lambda x: -x[1])]
    return lines


def _in_order(verdicts: list[Verdict]) -> list[Verdict]:
    order = {b.id: i for i, b in enumerate(round_robin(load_manifest(split="all")))}
    return sorted(verdicts, key=lambda v: order.get(v.id, len(order)))


def _write(verdicts: list[Verdict], commit: str, total: int, retries: int | None,
           split: str) -> None:
    results_json, results_md = _outputs(split)
    results_json.write_text(json.dumps({"commit": commit, "done": len(verdicts),
                                        "selected": total, "bugs": [
        asdict(v) | {"equal": v.equal, "plausible_wrong": v.plausible_wrong}
        for v in verdicts]}, indent=1) + "\n", encoding="utf-8")
    text = report(verdicts, commit, retries, per_bug=split != "check")
    if len(verdicts) < total:
        text = f"(partial: {len(verdicts)} of {total} bugs run so far)\n\n" + text
    results_md.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
