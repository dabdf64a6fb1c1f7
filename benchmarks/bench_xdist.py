"""Wall time of a synthetic gate run under ``-n 2``: our scheduler against xdist's own.

A temporary project holds :data:`GATES` independent gates whose suites are sleeping tests with
seeded log-normal (heavy-tailed) durations. The gates have no ``needs``: the lower bound knows
nothing of dependencies, so a chain would make it unreachable for every scheduler. The same test
files run three ways:

* ``pytest --gates -n 2``: the gate session, distributed by our scheduler (installed through
  ``pytest_xdist_make_scheduler`` whenever ``--gates`` is on);
* ``pytest -p no:gates -n 2 --dist load gate_suites`` and ``... --dist worksteal gate_suites``:
  plain pytest over the same files. The baselines switch the plugin off (``-p no:gates``; without
  ``--gates`` it changes nothing anyway) and name the suite folder: same files, same node ids,
  same rootdir, only the scheduler differs.

Before measuring, a first run records the durations our scheduler reads
(``--gates --gates-store-durations``, into ``manifests/durations.json``); where that option does
not exist yet, the file is written from the planned sleeps, in the same format.

Each configuration runs :data:`REPEATS` times, interleaved, and the median wall time is reported
against the lower bound ``max(total sleep / workers, longest sleep)``. pytest's own cost
(interpreter, collection, worker start-up, reports) is measured by the same runs with every sleep
at 0 (:data:`OVERHEAD_REPEATS` times after one warm-up, the median), so the ratio is shown with
and without it. The seconds of sleep each worker ran (read from ``-v`` output) give the split's
own balance, free of start-up and timing noise.

Both collection orders of :data:`ORDERS` are measured, each in a project of its own.

Run: ``python benchmarks/bench_xdist.py`` (about 12 minutes; writes
``benchmarks/results/xdist.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parent.parent
RESULT: Final = REPO / "benchmarks" / "results" / "xdist.json"
GATES: Final = 6
ITEMS: Final = 96
#: Seconds of sleep in all, so that each run with two workers takes about 25 s.
TOTAL: Final = 50.0
#: Log-normal shape: sigma 1.2 puts the longest item near 10 % of the total.
SIGMA: Final = 1.2
SEED: Final = 0
WORKERS: Final = 2
REPEATS: Final = 3
#: Runs with every sleep at 0: cheap, and noisier than the long runs, so more of them.
OVERHEAD_REPEATS: Final = 7
SCALE_ENV: Final = "GATES_BENCH_SCALE"
#: Collection orders: the same durations, placed two ways.
ORDERS: Final = {
    "random": "durations in random order, items spread over the gates at random",
    "ascending": "durations rising along the collection order: the last gate holds the slowest",
}
DURATIONS: Final = "manifests/durations.json"

TEST_FILE: Final = """\
import os
import time

import pytest

SCALE = float(os.environ.get("{env}", "1"))
SECONDS = {seconds}


@pytest.mark.parametrize("name", list(SECONDS))
def test_sleep(name):
    time.sleep(SECONDS[name] * SCALE)
"""

#: ``-v`` lines of xdist: ``[gw1] [ 40%] PASSED gate_suites/g2/test_g2.py::test_sleep[s17]``.
VERBOSE_LINE: Final = re.compile(r"^\[(gw\d+)\] \[\s*\d+%\] (\w+) (\S+)", re.MULTILINE)
SCHEDULER_LINE: Final = re.compile(r"^scheduling tests via (\w+)", re.MULTILINE)
PASSED: Final = re.compile(r"(\d+) passed")


@dataclass(frozen=True)
class Suite:
    """The synthetic project's tests: gate id -> {parameter id: seconds}, in collection order."""

    gates: dict[str, dict[str, float]]

    @classmethod
    def generate(cls, seed: int, items: int, gates: int, total: float, order: str) -> Suite:
        rng = random.Random(seed)
        raw = [rng.lognormvariate(0.0, SIGMA) for _ in range(items)]
        scale = total / sum(raw)
        seconds = [round(value * scale, 2) for value in raw]
        owners = [rng.randrange(gates) for _ in range(items)]
        if order == "ascending":
            seconds.sort()
            owners = [index * gates // items for index in range(items)]
        result: dict[str, dict[str, float]] = {f"g{g}": {} for g in range(gates)}
        for index, (owner, value) in enumerate(zip(owners, seconds, strict=True)):
            result[f"g{owner}"][f"s{index:02d}"] = value
        return cls(result)

    def nodeid(self, gate: str, name: str) -> str:
        return f"gate_suites/{gate}/test_{gate}.py::test_sleep[{name}]"

    @property
    def durations(self) -> dict[str, float]:
        return {
            self.nodeid(gate, name): seconds
            for gate, items in self.gates.items()
            for name, seconds in items.items()
        }

    def lower_bound(self, workers: int) -> float:
        values = self.durations.values()
        return max(sum(values) / workers, max(values))

    def write(self, root: Path) -> None:
        (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
        lines = ["version: 1", "project: bench-xdist", "gates:"]
        for gate in self.gates:
            lines.append(f"  - {{id: suite.{gate}, class: semantic, suites: [gate_suites/{gate}]}}")
        (root / "manifests").mkdir()
        (root / "manifests" / "gates.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for gate, items in self.gates.items():
            folder = root / "gate_suites" / gate
            folder.mkdir(parents=True)
            source = TEST_FILE.format(env=SCALE_ENV, seconds=json.dumps(items, indent=4))
            (folder / f"test_{gate}.py").write_text(source, encoding="utf-8")

    def write_durations(self, root: Path) -> None:
        """The file ``--gates-store-durations`` would write: our documented format."""
        items = {nodeid: [seconds] for nodeid, seconds in sorted(self.durations.items())}
        text = json.dumps({"version": 1, "items": items}, indent=1, sort_keys=True) + "\n"
        (root / DURATIONS).write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Config:
    name: str
    args: tuple[str, ...]


def configs(workers: int) -> list[Config]:
    common = ("-n", str(workers), "-v", "-p", "no:cacheprovider")
    plain = ("-p", "no:gates", *common)
    return [
        Config("gates", ("--gates", *common)),
        Config("load", (*plain, "--dist", "load", "gate_suites")),
        Config("worksteal", (*plain, "--dist", "worksteal", "gate_suites")),
    ]


@dataclass(frozen=True)
class Run:
    wall: float
    scheduler: str
    #: Worker -> planned seconds of the items it ran.
    busy: dict[str, float]


def pytest(root: Path, args: Sequence[str], scale: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, SCALE_ENV: str(scale)}
    env.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", *args]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def measure(root: Path, config: Config, suite: Suite, scale: float, attempt: int) -> Run:
    args = list(config.args)
    if config.name == "gates":
        args += ["--gates-out", f".gates-{config.name}-{scale:g}-{attempt}"]
    start = time.perf_counter()
    result = pytest(root, args, scale)
    wall = time.perf_counter() - start
    expected = len(suite.durations)
    passed = PASSED.findall(result.stdout)
    if result.returncode != 0 or not passed or int(passed[-1]) != expected:
        raise SystemExit(
            f"{config.name}: expected {expected} passed tests and exit status 0, got status "
            f"{result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    scheduler = SCHEDULER_LINE.search(result.stdout)
    durations = suite.durations
    busy: dict[str, float] = {}
    for worker, _, nodeid in VERBOSE_LINE.findall(result.stdout):
        busy[worker] = busy.get(worker, 0.0) + durations[nodeid] * scale
    return Run(wall, scheduler.group(1) if scheduler else "?", dict(sorted(busy.items())))


def record_durations(root: Path, suite: Suite, workers: int) -> str:
    """Let the plugin record the durations if it can; else write them. Returns which."""
    helptext = pytest(root, ["--help"], 1.0).stdout
    if "--gates-store-durations" not in helptext:
        suite.write_durations(root)
        return "written from the planned sleeps (--gates-store-durations not available)"
    args = ["--gates", "--gates-store-durations", "-n", str(workers), "-p", "no:cacheprovider"]
    result = pytest(root, [*args, "--gates-out", ".gates-record"], 1.0)
    path = root / DURATIONS
    if result.returncode != 0 or not path.exists():
        raise SystemExit(f"recording durations failed:\n{result.stdout[-3000:]}")
    recorded = json.loads(path.read_text(encoding="utf-8"))["items"]
    missing = sorted(set(suite.durations) - set(recorded))
    if missing:
        raise SystemExit(f"{DURATIONS} lacks {len(missing)} items, e.g. {missing[0]}")
    return "recorded by pytest --gates --gates-store-durations -n 2"


def summarize(runs: Sequence[Run], overhead: Sequence[Run], bound: float) -> dict[str, Any]:
    wall = statistics.median(run.wall for run in runs)
    cost = statistics.median(run.wall for run in overhead)
    median_run = sorted(runs, key=lambda run: run.wall)[len(runs) // 2]
    return {
        "scheduler": runs[0].scheduler,
        "wall_s": [round(run.wall, 3) for run in runs],
        "median_wall_s": round(wall, 3),
        "overhead_s": [round(run.wall, 3) for run in overhead],
        "median_overhead_s": round(cost, 3),
        "ratio": round(wall / bound, 4),
        "ratio_without_overhead": round((wall - cost) / bound, 4),
        "busiest_worker_planned_s": round(max(median_run.busy.values()), 3),
        # The split's own quality, free of start-up and timing noise.
        "planned_ratio": round(max(median_run.busy.values()) / bound, 4),
        "planned_s_per_worker": {k: round(v, 3) for k, v in median_run.busy.items()},
    }


def table(result: Mapping[str, Any]) -> str:
    lines = [
        "| configuration | scheduler | median wall s | runs s | overhead s (sleeps at 0) "
        "| wall / bound | (wall - overhead) / bound | planned s per worker | busiest / bound |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result["configurations"].items():
        runs = ", ".join(f"{w:.2f}" for w in row["wall_s"])
        per_worker = ", ".join(f"{v:.1f}" for v in row["planned_s_per_worker"].values())
        lines.append(
            f"| {name} | {row['scheduler']} | {row['median_wall_s']:.2f} | {runs} "
            f"| {row['median_overhead_s']:.2f} | {row['ratio']:.3f} "
            f"| {row['ratio_without_overhead']:.3f} | {per_worker} | {row['planned_ratio']:.3f} |"
        )
    return "\n".join(lines)


def scenario(
    order: str, seed: int, workers: int, repeats: int, overhead_repeats: int, root: Path
) -> dict[str, Any]:
    """Build the project for one collection order in ``root``, record, measure, summarize."""
    suite = Suite.generate(seed, ITEMS, GATES, TOTAL, order)
    suite.write(root)
    durations_source = record_durations(root, suite, workers)
    chosen = configs(workers)
    timed: dict[str, list[Run]] = {c.name: [] for c in chosen}
    idle: dict[str, list[Run]] = {c.name: [] for c in chosen}
    for config in chosen:
        measure(root, config, suite, 0.0, -1)  # warm-up, not counted
    for attempt in range(max(repeats, overhead_repeats)):
        for config in chosen:
            if attempt < overhead_repeats:
                idle[config.name].append(measure(root, config, suite, 0.0, attempt))
            if attempt < repeats:
                timed[config.name].append(measure(root, config, suite, 1.0, attempt))
                wall = timed[config.name][-1].wall
                print(f"{order}: {config.name} #{attempt + 1}: {wall:.2f} s")
    values = list(suite.durations.values())
    bound = suite.lower_bound(workers)
    configurations = {name: summarize(timed[name], idle[name], bound) for name in timed}
    best = min(configurations[name]["median_wall_s"] for name in ("load", "worksteal"))
    return {
        "order": ORDERS[order],
        "suite": {
            "seed": seed,
            "gates": GATES,
            "items": len(values),
            "distribution": f"log-normal, sigma {SIGMA}, scaled to {TOTAL:g} s in all",
            "total_sleep_s": round(sum(values), 3),
            "longest_sleep_s": max(values),
            "top5_sleep_s": sorted(values, reverse=True)[:5],
            "per_gate_s": {g: round(sum(v.values()), 2) for g, v in suite.gates.items()},
        },
        "lower_bound_s": round(bound, 3),
        "durations": durations_source,
        "configurations": configurations,
        "gates_vs_best_xdist": round(configurations["gates"]["median_wall_s"] / best, 4),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--order", choices=sorted(ORDERS), action="append", help="default: all")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--overhead-repeats", type=int, default=OVERHEAD_REPEATS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--out", type=Path, default=RESULT, help="the JSON result file")
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    scenarios: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-xdist-") as scratch:
        for order in args.order or list(ORDERS):
            root = (args.keep or Path(scratch)) / order
            root.mkdir(parents=True)
            scenarios[order] = scenario(
                order, args.seed, args.workers, args.repeats, args.overhead_repeats, root
            )
    result: dict[str, Any] = {
        "benchmark": "xdist",
        "versions": {
            "python": platform.python_version(),
            "pytest": version("pytest"),
            "pytest-xdist": version("pytest-xdist"),
            "pytest-gates": version("pytest-gates"),
        },
        "cpus": os.cpu_count(),
        # Set, it keeps pytest from caching rewritten modules: every run rewrites them again.
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        # Other work on the machine shows in these (1, 5, 15 minute averages).
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "workers": args.workers,
        "repeats": args.repeats,
        "overhead_repeats": args.overhead_repeats,
        "scenarios": scenarios,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for order, data in scenarios.items():
        suite = data["suite"]
        print(
            f"\n### {order}: {data['order']}\n\n{suite['items']} items, "
            f"{suite['total_sleep_s']:.2f} s of sleep, longest {suite['longest_sleep_s']:.2f} s, "
            f"lower bound {data['lower_bound_s']:.2f} s with {args.workers} workers; "
            f"durations {data['durations']}.\n"
        )
        print(table(data))
        print(f"\ngates / best of load, worksteal: {data['gates_vs_best_xdist']:.3f}")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
