"""A heavy tests gate that shards: ``pytest --gates -n 2`` against ``-n 0``, two shards, and the
coverage total each way (issue 13).

A temporary project holds one gate, ``qa.tests``, whose ``suites`` are :data:`FILES` test files
with :data:`TESTS` tests in all, and whose ``coverage: {source: [src/app], min: ...}`` is
measured by the gate session itself (:mod:`pytest_gates.session.suitecov`): each process measures
the items it runs, the controller combines, ``merge`` combines the shards. Every test calls the
code under test and then waits :data:`SLEEP` seconds (a test that takes real time, as a test that
talks to a subprocess or a socket does; sleeping keeps the measurement about distribution, not
about how the two cores are shared with other work).

Runs, each :data:`REPEATS` times, interleaved:

    pytest --gates -p no:cacheprovider -n 0 --gates-out DIR
    pytest --gates -p no:cacheprovider -n 2 --gates-out DIR
    pytest --gates -p no:cacheprovider -n 0 --gates-shard K/2 --gates-out DIR   (K = 1, 2)
    pytest-gates merge S1 S2 --out DIR

plus, with ``--in-flight N``, ``-n 2`` again with the xdist scheduler's ``IN_FLIGHT`` (items a
worker holds at once, 2) raised to N by a conftest of the temporary project: the cost of the
round trip each item waits for when a worker holds only the item it runs and the next one. It
reports the median wall times, the speed-up of ``-n 2`` over ``-n 0`` (goal: at least 1.6),
the two shards' wall times and their difference (goal: within 10 %), and the coverage total of
each way (goal: the same total, and the same executed lines, in all three).

Run: ``python benchmarks/bench_suite_speedup.py`` (about 3 minutes; writes
``benchmarks/results/suite_speedup.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parent.parent
RESULT: Final = REPO / "benchmarks" / "results" / "suite_speedup.json"
FILES: Final = 10
TESTS: Final = 300
SLEEP: Final = 0.1
REPEATS: Final = 3
NODE: Final = "manifests/gates.yaml::qa.tests::[coverage]"

MANIFEST: Final = """\
version: 1
project: speedup
gates:
  - id: qa.tests
    class: semantic
    suites: [tests]
    expected_duration: {expected}
    coverage: {{source: [src/app], min: 0.9}}
"""

MODULE: Final = """\
def step_{index}(value):
    if value % 2:
        return value * 3 + 1
    return value // 2


def chain_{index}(value):
    steps = 0
    while value != 1 and steps < 500:
        value = step_{index}(value)
        steps += 1
    return steps


def unused_{index}():
    return None
"""

TEST: Final = """\
import time

import pytest

from app import mod{index}


@pytest.mark.parametrize("value", range(1, {count} + 1))
def test_chain(value):
    assert mod{index}.chain_{index}(value) >= 0
    time.sleep({sleep})
"""


def build(root: Path) -> None:
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / "gates.yaml").write_text(
        MANIFEST.format(expected=TESTS * SLEEP), encoding="utf-8"
    )
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["src"]\nfilterwarnings = ["error"]\n',
        encoding="utf-8",
    )
    package = root / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (root / "tests").mkdir()
    for index in range(FILES):
        (package / f"mod{index}.py").write_text(MODULE.format(index=index), encoding="utf-8")
        (root / "tests" / f"test_mod{index}.py").write_text(
            TEST.format(index=index, count=TESTS // FILES, sleep=SLEEP), encoding="utf-8"
        )


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}


def timed(root: Path, argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=root, env=_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
    return elapsed


def gates(root: Path, out: str, *args: str) -> float:
    argv = [sys.executable, "-m", "pytest", "--gates", "-p", "no:cacheprovider", "-q"]
    return timed(root, [*argv, *args, "--gates-out", out])


def coverage_of(root: Path, out: str) -> dict[str, Any]:
    evidence = json.loads((root / out / "evidence" / "qa.tests.json").read_text())
    (record,) = [i for i in evidence["body"]["items"] if i["nodeid"] == NODE]
    return {
        "outcome": record["outcome"],
        "total": record["details"]["total"],
        "files": record["details"]["files"],
    }


def items_of(root: Path, out: str) -> int:
    evidence = json.loads((root / out / "evidence" / "qa.tests.json").read_text())
    return sum(
        1 for i in evidence["body"]["items"] if i["outcome"] == "passed" and i["nodeid"] != NODE
    )


IN_FLIGHT_CONFTEST: Final = """\
import pytest_gates.distribute.xdist.scheduler as scheduler

scheduler.IN_FLIGHT = {in_flight}
"""


def run(repeats: int, in_flight: int | None = None) -> dict[str, Any]:
    times: dict[str, list[float]] = {"n0": [], "n2": [], "shard1": [], "shard2": [], "merge": []}
    if in_flight is not None:
        times[f"n2_in_flight_{in_flight}"] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gates-speedup-") as scratch:
        root = Path(scratch)
        build(root)
        for _ in range(repeats):
            for out in ("n0", "n2", "n2f", "s1", "s2", "merged"):  # each run starts a new log
                shutil.rmtree(root / out, ignore_errors=True)
            times["n0"].append(gates(root, "n0", "-n", "0"))
            times["n2"].append(gates(root, "n2", "-n", "2"))
            if in_flight is not None:
                conftest = root / "conftest.py"
                conftest.write_text(IN_FLIGHT_CONFTEST.format(in_flight=in_flight))
                times[f"n2_in_flight_{in_flight}"].append(gates(root, "n2f", "-n", "2"))
                conftest.unlink()
            times["shard1"].append(gates(root, "s1", "-n", "0", "--gates-shard", "1/2"))
            times["shard2"].append(gates(root, "s2", "-n", "0", "--gates-shard", "2/2"))
            merge = [sys.executable, "-m", "pytest_gates", "merge", "s1", "s2", "--out", "merged"]
            times["merge"].append(timed(root, merge))
        covered = {way: coverage_of(root, way) for way in ("n0", "n2", "merged")}
        shard_items = [items_of(root, "s1"), items_of(root, "s2")]
    median = {name: round(statistics.median(values), 2) for name, values in times.items()}
    shards = (median["shard1"], median["shard2"])
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "pytest": version("pytest"),
            "pytest-xdist": version("pytest-xdist"),
            "coverage": version("coverage"),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
        "project": {"tests": TESTS, "files": FILES, "sleep_s": SLEEP, "repeats": repeats},
        "wall_s": {name: [round(v, 2) for v in values] for name, values in times.items()},
        "median_s": median,
        "speedup_n2": round(median["n0"] / median["n2"], 2),
        **(
            {"speedup_n2_in_flight": round(median["n0"] / median[f"n2_in_flight_{in_flight}"], 2)}
            if in_flight is not None
            else {}
        ),
        "shard_items": shard_items,
        "shard_difference": round(abs(shards[0] - shards[1]) / max(shards), 3),
        "coverage_total": {way: c["total"] for way, c in covered.items()},
        "coverage_outcome": {way: c["outcome"] for way, c in covered.items()},
        "same_lines": covered["n0"]["files"]
        == covered["n2"]["files"]
        == covered["merged"]["files"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--in-flight", type=int, metavar="N", help="also -n 2 with IN_FLIGHT = N")
    args = parser.parse_args()
    result = run(args.repeats, args.in_flight)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "wall_s"}, indent=2))


if __name__ == "__main__":
    main()
