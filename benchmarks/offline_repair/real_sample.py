"""The offline engine on a round-robin sample of the real-bug corpus (issue #12, item 6).

``benchmarks/real_bugs/run.py`` runs every bug (86, about two minutes each on a shared
2-core machine); this runs its ``run_bug`` (``pytest --agent-run`` in the materialized
repo, default settings, one attempt) on the first ``--per-project`` bugs of each project,
in the manifest's order, or on the ids given, and prints one JSON line per bug.

    python benchmarks/offline_repair/real_sample.py --per-project 2 --jobs 2 > sample.jsonl
    python benchmarks/offline_repair/real_sample.py semver-bc41390 boltons-5df2659
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

REAL_BUGS = Path(__file__).resolve().parent.parent / "real_bugs"
sys.path.insert(0, str(REAL_BUGS))

import run as real_run  # noqa: E402
from materialize import load_manifest  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("ids", nargs="*", help="bug ids (default: a round-robin sample)")
    parser.add_argument("--per-project", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    bugs = load_manifest()
    if args.ids:
        sample = [b for b in bugs if b.id in args.ids]
    else:
        by_project: dict[str, list[real_run.Bug]] = {}
        for bug in bugs:
            by_project.setdefault(bug.id.rsplit("-", 1)[0], []).append(bug)
        sample = [p[i] for i in range(args.per_project) for p in by_project.values()
                  if i < len(p)]
    with ThreadPoolExecutor(args.jobs) as pool:
        for verdict in pool.map(lambda b: real_run.run_bug(b, False, 0), sample):
            print(json.dumps(asdict(verdict)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
