"""What the crash guard costs, against what supervising every item in a worker would cost.

Issue 15: under ``-n 0`` a test that calls ``os._exit(0)`` ends the run with exit 0. Two designs
keep such a run from passing for a decision: the INCOMPLETE record (what pytest-gates does: one
small atomic write before collection, one unlink after the outputs; a caller runs ``verify``),
and running the items in a supervised xdist worker by default (``-n 1``: the controller outlives
any item and exits non-zero on its own).

A temporary project holds G gates, each with a suite of T passing tests. Measured, interleaved,
median wall time of R runs each:

* ``pytest --gates -p no:xdist`` (the record, one process);
* ``pytest --gates -n 1`` (the record, plus one supervised worker);

and the record's own cost in-process: ``mark_incomplete`` + ``clear_incomplete``, median of
1,000 pairs.

Run: ``python benchmarks/bench_supervision.py [--gates 6 --tests 20 --repeats 5]``. Writes
``benchmarks/results/supervision.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parent.parent
RESULT: Final = REPO / "benchmarks" / "results" / "supervision.json"
CONFIGS: Final = {
    "record, one process (-p no:xdist)": ["-p", "no:xdist"],
    "record + supervised worker (-n 1)": ["-n", "1"],
}


def build(root: Path, gates: int, tests: int) -> None:
    lines = ["version: 1", "project: bench", "gates:"]
    for g in range(gates):
        lines.append(f"  - {{id: g{g}, class: structural, suites: [suites/g{g}/]}}")
        suite = root / "suites" / f"g{g}"
        suite.mkdir(parents=True)
        body = "\n".join(f"def test_{t}():\n    assert True\n" for t in range(tests))
        (suite / f"test_g{g}.py").write_text(body)
    (root / "manifests").mkdir()
    (root / "manifests" / "gates.yaml").write_text("\n".join(lines) + "\n")
    (root / "pytest.ini").write_text("[pytest]\n")


def wall(root: Path, args: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", "--gates", "-q", "-p", "no:cacheprovider", *args]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}")
    return elapsed


def record_cost(root: Path, pairs: int = 1000) -> float:
    from pytest_gates.outputs.incomplete import clear_incomplete, mark_incomplete

    times = []
    for _ in range(pairs):
        start = time.perf_counter()
        mark_incomplete(root, "bench", "2026-01-01T00:00:00Z")
        clear_incomplete(root)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=6)
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-supervision-") as scratch:
        root = Path(scratch)
        build(root, args.gates, args.tests)
        for flags in CONFIGS.values():
            wall(root, flags)  # warm-up: imports, bytecode
        runs: dict[str, list[float]] = {name: [] for name in CONFIGS}
        for _ in range(args.repeats):
            for name, flags in CONFIGS.items():
                runs[name].append(wall(root, flags))
        record = record_cost(root / "out")
    medians = {name: statistics.median(times) for name, times in runs.items()}
    base = medians["record, one process (-p no:xdist)"]
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "project": {"gates": args.gates, "tests_per_gate": args.tests},
        "repeats": args.repeats,
        "wall_s": {name: [round(t, 3) for t in times] for name, times in runs.items()},
        "median_s": {name: round(m, 3) for name, m in medians.items()},
        "supervision_extra_s": round(medians["record + supervised worker (-n 1)"] - base, 3),
        "record_write_and_remove_ms": round(record * 1000, 3),
    }
    print("| configuration | median wall (s) |\n| --- | --- |")
    for name, median in medians.items():
        print(f"| {name} | {median:.2f} |")
    print(f"\nsupervised worker adds {result['supervision_extra_s']:.2f} s a run;")
    print(f"the INCOMPLETE record costs {result['record_write_and_remove_ms']:.3f} ms a run")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
