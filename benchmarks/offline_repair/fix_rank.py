"""Where the developer's fix stands in the offline engine's candidate order (real bugs).

The real-bug runs (``benchmarks/real_bugs/run.py``) mostly stop at the 60 s budget after
30-300 validated candidates, so what decides a repair is the *rank* of a right candidate.
This measures it without running one candidate: for each bug of the tuned split it
materializes the bug, runs the accept tests and the localization once (cached in
``--cache``, so a change of the ranking is re-measured in seconds), generates the engine's
single edits in its dispatch order (safe singles, then risky ones; compiled, deduplicated
by AST) and reports the first candidate whose edited function has the AST of the
developer's fixed function (docstrings aside). A multi-function fix counts when one of its
functions is matched (the other hunks would still be missing: "partial").

    python benchmarks/offline_repair/fix_rank.py --ids semver-db55f27,parse-19689cf
    python benchmarks/offline_repair/fix_rank.py --all          # every tuned bug
    python benchmarks/offline_repair/fix_rank.py --all --split study

The tuned and the study split only: the held-out bugs are never ranked here.
"""

from __future__ import annotations

import argparse
import ast
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REAL_BUGS = REPO / "benchmarks" / "real_bugs"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REAL_BUGS))

from materialize import load_manifest  # noqa: E402
from materialize import materialize  # noqa: E402

from pytest_agent._types import Location  # noqa: E402
from pytest_agent._types import Task  # noqa: E402
from pytest_agent._types import TestRun  # noqa: E402
from pytest_agent._types import Workspace  # noqa: E402
from pytest_agent.engines.offline._evidence import Evidence  # noqa: E402
from pytest_agent.engines.offline._search import Suspiciousness  # noqa: E402
from pytest_agent.engines.offline._search import edit_score  # noqa: E402
from pytest_agent.engines.offline._search import rank_singles  # noqa: E402
from pytest_agent.engines.offline._search import same_edits  # noqa: E402
from pytest_agent.engines.offline._search import with_copies  # noqa: E402
from pytest_agent.engines.offline._source import Edit  # noqa: E402
from pytest_agent.engines.offline._source import SourceFile  # noqa: E402
from pytest_agent.engines.offline._source import apply_edits  # noqa: E402
from pytest_agent.localize import localize_detailed  # noqa: E402
from pytest_agent.settings import AgentSettings  # noqa: E402
from pytest_agent.testrun import run_tests  # noqa: E402

#: Candidates looked at per bug (the engine validates 30-300 in its 60 s).
LIMIT = 5000


@dataclass
class Cached:
    """What one bug's ranking needs, computed once."""

    functions: tuple[Location, ...]
    lines: tuple[Location, ...]
    baseline: TestRun
    #: Buggy and fixed text of every file the fix changed (root-relative).
    buggy: dict[str, str]
    fixed: dict[str, str]
    changed: list[tuple[str, str]]
    accept: tuple[str, ...]


def _prepare(bug_id: str, settings: AgentSettings) -> Cached:
    with tempfile.TemporaryDirectory(prefix="fix-rank-") as tmp:
        root = materialize(bug_id, Path(tmp))
        meta = json.loads((root / "meta.json").read_text())
        task = Task(id=bug_id, description=meta["description"],
                    accept_tests=tuple(meta["accept_tests"]))
        ws = Workspace(root=root, branch="agent/x", base_commit="0" * 40, repo_root=root)
        baseline = run_tests(root, task.accept_tests, timeout=settings.test_timeout)
        found = localize_detailed(task, ws, baseline, settings)
        files = sorted({c["file"] for c in meta["changed"]})
        searched = {f.path for f in found.functions if f.path.endswith(".py")}
        buggy = {f: (root / f).read_text(encoding="utf-8")
                 for f in sorted(set(files) | searched) if (root / f).is_file()}
        subprocess.run(["git", "apply", "fix.diff"], cwd=root, check=True, timeout=60)
        fixed = {f: (root / f).read_text(encoding="utf-8") for f in files if (root / f).exists()}
        return Cached(tuple(found.functions), tuple(found.lines), baseline, buggy, fixed,
                      [(c["file"], c["function"]) for c in meta["changed"]],
                      task.accept_tests)


def _function_span(src: SourceFile, qualname: str) -> tuple[int, int] | None:
    """Text offsets of the def of ``qualname`` (decorators left out)."""
    nodes: list[ast.AST] = [src.tree]
    for part in qualname.split("."):
        found = None
        for node in nodes:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                        and child.name == part:
                    found = child
        if found is None:
            return None
        nodes = [found]
    node = nodes[0]
    start = src.line_start(node.lineno)  # type: ignore[attr-defined]
    return start, src.span(node)[1]


def _dump(text: str) -> str | None:
    """The AST of one def's text (dedented), docstrings left out, or None."""
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError:
        return None
    for sub in ast.walk(tree):
        body = getattr(sub, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body[0] = ast.Pass()
    return ast.dump(tree)


def _targets(cached: Cached, sources: dict[str, SourceFile]) -> list[tuple[str, int, int, str]]:
    """(path, start, end, fixed AST) of every function the developer changed."""
    targets: list[tuple[str, int, int, str]] = []
    for path, qualname in cached.changed:
        if path not in cached.fixed or path not in sources:
            continue
        span = _function_span(sources[path], qualname)
        fixed_src = SourceFile(path, cached.fixed[path])
        fixed_span = _function_span(fixed_src, qualname)
        if span is None or fixed_span is None:
            continue
        after = _dump(fixed_src.text[fixed_span[0]:fixed_span[1]])
        if after is not None and after != _dump(sources[path].text[span[0]:span[1]]):
            targets.append((path, span[0], span[1], after))
    return targets


def rank(bug_id: str, cached: Cached) -> dict[str, object]:
    """The rank (1-based, in dispatch order) of the first edit that gives the developer's
    fixed function. Approximate: candidates are not compiled or deduplicated (only the
    edited def is parsed), as the engine does; both drop few."""
    susp = Suspiciousness.from_locations(cached.functions, cached.lines, set())
    sources = {}
    for p, t in cached.buggy.items():
        try:
            sources[p] = SourceFile(p, t)
        except (SyntaxError, ValueError):
            continue
    failing = [n for n in cached.baseline.failing if n in cached.accept or
               any(n.startswith((a + "::", a + "[")) for a in cached.accept)]
    evidence = Evidence.from_failures(cached.baseline.failures, failing or cached.accept)
    singles = rank_singles(sources, susp, evidence)
    return _first_match(bug_id, singles, susp, evidence, _targets(cached, sources), sources)


def _first_match(bug_id: str, singles: list[Edit], susp: Suspiciousness, evidence: Evidence,
                 targets: list[tuple[str, int, int, str]], sources: dict[str, SourceFile],
                 ) -> dict[str, object]:
    safe = [e for e in singles if not e.risky]
    ordered = [*with_copies(safe, susp, evidence, same_edits(safe)),
               *(((e,), edit_score(e, susp, evidence)) for e in singles if e.risky)]
    seen: set[tuple[tuple[str, int, int, str], ...]] = set()
    index = 0
    for group, score in ordered:
        key = tuple((e.path, e.start, e.end, e.new) for e in group)
        if key in seen:
            continue
        seen.add(key)
        index += 1
        if index > LIMIT:
            break
        for path, start, end, after in targets:
            inside = [e for e in group if e.path == path and start <= e.start <= e.end <= end]
            if not inside:
                continue
            text = sources[path].text
            edited = apply_edits(text[:end], inside)[start:end + sum(
                len(e.new) - (e.end - e.start) for e in inside)]
            if _dump(edited) == after:
                return {"id": bug_id, "rank": index,
                        "edit": "; ".join(f"{e.op}: {e.what}" for e in group),
                        "score": round(score, 4), "partial": len(targets) > 1,
                        "singles": len(singles), "symptoms": sorted(evidence.symptoms)}
    return {"id": bug_id, "rank": None, "singles": len(singles), "targets": len(targets),
            "symptoms": sorted(evidence.symptoms)}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--ids", default="")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--split", choices=("tuned", "study"), default="tuned",
                        help="the split of bugs.json (never the held-out one)")
    parser.add_argument("--prepare-only", action="store_true",
                        help="fill the cache (runs the tests and the localization)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "fix-rank")
    args = parser.parse_args()
    bugs = load_manifest(split=args.split)
    wanted = set(filter(None, args.ids.split(",")))
    selected = [b.id for b in bugs if args.all or b.id in wanted]
    settings = AgentSettings()
    args.cache.mkdir(parents=True, exist_ok=True)
    ranks: list[int] = []
    for bug_id in selected:
        cache = args.cache / f"{bug_id}.pickle"
        if cache.exists():
            cached = pickle.loads(cache.read_bytes())
        else:
            cached = _prepare(bug_id, settings)
            cache.write_bytes(pickle.dumps(cached))
        if args.prepare_only:
            print(bug_id, "cached", flush=True)
            continue
        result = rank(bug_id, cached)
        print(json.dumps(result), flush=True)
        if isinstance(result["rank"], int):
            ranks.append(result["rank"])
    found = len(ranks)
    print(f"# {found}/{len(selected)} fixes in the first {LIMIT} singles; "
          f"median rank {statistics.median(ranks) if ranks else '-'}; "
          f"top-50 {sum(r <= 50 for r in ranks)}, top-100 {sum(r <= 100 for r in ranks)}, "
          f"top-300 {sum(r <= 300 for r in ranks)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
