"""The main thread's cost of the candidate stream, one revision of ``_search.py`` against
another, in one process (real bugs of the tuned or study split).

Each candidate is built on the engine's main thread (its edits applied, parsed, dumped
for deduplication, compiled) while the validators run the previous ones; on 2 cores the
main thread's CPU is taken from the validators. For each bug (its localization from
``fix_rank.py``'s cache, filled with ``fix_rank.py --prepare-only``), this draws the
groups the search draws first (the first ``--singles`` singles and systematic copies,
then up to 200 pairs of the 30 best singles and up to 200 risky singles) and builds the
candidates with the ``_search`` of ``--base`` (a git revision, loaded from ``git show``)
and of this checkout, alternating, ``--rounds`` times. It prints the count and the
sha256 of each stream (every candidate's files, in order: the same candidates in the
same order) and the median seconds of each.

    python benchmarks/offline_repair/fix_rank.py --prepare-only --ids inflect-b40331b \\
        --split study --cache /tmp/fix-rank
    python benchmarks/offline_repair/candidate_stream.py --base HEAD~1 --split study \\
        --ids inflect-b40331b --cache /tmp/fix-rank
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "benchmarks" / "real_bugs"))

from fix_rank import Cached  # noqa: E402

from pytest_agent.engines.offline import _search as current  # noqa: E402
from pytest_agent.engines.offline._evidence import Evidence  # noqa: E402
from pytest_agent.engines.offline._source import SourceFile  # noqa: E402

SEARCH = "pytest_agent/engines/offline/_search.py"


def load_revision(rev: str, tmp: Path) -> ModuleType:
    """``_search.py`` as it was at ``rev`` (its imports are this checkout's modules)."""
    text = subprocess.run(["git", "show", f"{rev}:{SEARCH}"], cwd=REPO, capture_output=True,
                          text=True, check=True, timeout=60).stdout
    path = tmp / "base_search.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("base_search", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["base_search"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def groups_of(cached: Cached, singles_count: int) -> tuple[list[Any], dict[str, SourceFile]]:
    susp = current.Suspiciousness.from_locations(cached.functions, cached.lines, set())
    sources = {}
    for path, text in cached.buggy.items():
        try:
            sources[path] = SourceFile(path, text)
        except (SyntaxError, ValueError):
            continue
    evidence = Evidence.from_failures(cached.baseline.failures, list(cached.accept))
    singles = current.rank_singles(sources, susp, evidence)
    safe = [e for e in singles if not e.risky]
    groups: list[Any] = list(current.with_copies(safe, susp, evidence,
                                                 current.same_edits(safe)))[:singles_count]
    best = [(e, current.edit_score(e, susp, evidence)) for e in safe[:30]]
    groups += list(current.pairs(best, 30))[:200]
    groups += [((e,), 0.0) for e in singles if e.risky][:200]
    return groups, sources


def stream(module: ModuleType, groups: list[Any], sources: dict[str, SourceFile],
           ) -> tuple[int, str, float]:
    digest = hashlib.sha256()
    count = 0
    started = time.perf_counter()
    for cand in module.candidates(iter(groups), sources, (), set()):
        for path in sorted(cand.files):
            digest.update(path.encode() + b"\0" + cand.files[path].encode() + b"\0")
        count += 1
    return count, digest.hexdigest()[:16], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--ids", required=True, help="comma-separated bug ids")
    parser.add_argument("--split", choices=("tuned", "study"), default="tuned")
    parser.add_argument("--base", default="HEAD~1", help="git revision of the baseline")
    parser.add_argument("--singles", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "fix-rank")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="candidate-stream-") as tmp:
        base = load_revision(args.base, Path(tmp))
        for bug_id in args.ids.split(","):
            cache = args.cache / f"{bug_id}.pickle"
            if not cache.exists():
                print(f"{bug_id}: not cached (fix_rank.py --prepare-only)", flush=True)
                continue
            groups, sources = groups_of(pickle.loads(cache.read_bytes()), args.singles)
            seconds: dict[str, list[float]] = {"base": [], "this": []}
            seen: dict[str, tuple[int, str]] = {}
            for _ in range(args.rounds):
                for name, module in (("base", base), ("this", current)):
                    count, digest, took = stream(module, groups, sources)
                    seconds[name].append(took)
                    seen[name] = (count, digest)
            b, t = statistics.median(seconds["base"]), statistics.median(seconds["this"])
            print(f"{bug_id}: {len(groups)} groups; base {seen['base'][0]} candidates"
                  f" {seen['base'][1]} {b:.2f}s; this {seen['this'][0]} {seen['this'][1]}"
                  f" {t:.2f}s; same stream {seen['base'] == seen['this']}; {b / t:.1f}x",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
