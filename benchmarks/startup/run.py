"""Does installing pytest-agent slow an ordinary pytest run?

Times ``python -m pytest`` on a small ordinary suite (50 trivial tests) with the
plugin loaded and with ``-p no:agent``, alternating A B A B so drift affects
both, and prints the medians and the median of the pairwise ratios.

    python benchmarks/startup/run.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_suite(root: Path) -> None:
    body = "\n\n".join(f"def test_{i}():\n    assert {i} + 1 == {i + 1}" for i in range(50))
    (root / "test_plain.py").write_text(body + "\n")
    (root / "pytest.ini").write_text("[pytest]\n")


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_suite(root)
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        with_plugin, without, ratios = [], [], []
        timed(base, root)  # warm-up (file system caches, bytecode)
        for _ in range(args.runs):
            a = timed(base, root)
            b = timed([*base, "-p", "no:agent"], root)
            with_plugin.append(a)
            without.append(b)
            ratios.append(a / b)
    print(f"runs: {args.runs} pairs, 50 trivial tests")
    print(f"with pytest-agent   median {statistics.median(with_plugin) * 1000:7.1f} ms")
    print(f"with -p no:agent    median {statistics.median(without) * 1000:7.1f} ms")
    print(f"ratio (with/without), median of pairs: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
