"""What the gate layer costs: ``pytest --gates`` against plain pytest doing the same work.

A temporary project holds a manifest of G gates x C ``files`` checks (``exist:
[manifests/gates.yaml]``) and a plain pytest file with one test, parametrized G x C times, that
asserts the same file exists. Measured as A/B pairs (ours, then plain, interleaved), the CPU time
of the child processes (user + system, from ``getrusage``), median of the repeats:

* ``pytest --gates --collect-only -q`` against ``pytest --collect-only -q test_plain.py``;
* ``pytest --gates -q`` (evidence, log and reports written) against ``pytest -q test_plain.py``.

With ``--xdist`` it times instead, in wall seconds, ``-n 2`` and ``-n 0`` ours and plain at
``--sizes`` (``benchmarks/results/overhead_xdist.json``).

It also times ``pytest-gates validate`` on manifests of 1,000, 8,000 and 36,664 gates of one
check each (the last about 5 MB, as in issue 15), and with ``--profile N`` prints a cProfile of
collecting N checks in-process.

Run: ``python benchmarks/bench_overhead.py`` (all sizes; ``--sizes 1000,10000 --repeats 5
--full-repeats 3`` for a shorter run). Writes ``benchmarks/results/overhead.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parent.parent
RESULT: Final = REPO / "benchmarks" / "results" / "overhead.json"
XDIST_RESULT: Final = REPO / "benchmarks" / "results" / "overhead_xdist.json"
#: Checks per gate in the A/B projects.
CHECKS_PER_GATE: Final = 100
SIZES: Final = (1_000, 10_000, 50_000)
VALIDATE_GATES: Final = (1_000, 8_000, 36_664)
PLAIN_TEST: Final = """\
from pathlib import Path

import pytest


@pytest.mark.parametrize("i", range({n}))
def test_exist(i):
    assert Path("manifests/gates.yaml").exists()
"""


def manifest_text(gates: int, checks: int, chain: bool = False) -> str:
    """G gates x C ``files`` checks; with ``chain``, each gate needs the one before it
    (nine in ten, so that chains of ten gates form)."""
    lines = ["version: 1", "project: bench", "gates:"]
    for g in range(gates):
        lines += [f"  - id: g{g:05d}", "    class: structural"]
        if chain and g % 10:
            lines.append(f"    needs: [g{g - 1:05d}]")
        lines.append("    checks:")
        lines += [
            f"      - {{id: c{c:03d}, kind: files, exist: [manifests/gates.yaml]}}"
            for c in range(checks)
        ]
    return "\n".join(lines) + "\n"


def make_project(root: Path, checks: int) -> None:
    gates = max(1, checks // CHECKS_PER_GATE)
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "manifests" / "gates.yaml").write_text(manifest_text(gates, checks // gates))
    (root / "test_plain.py").write_text(PLAIN_TEST.format(n=checks))
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")


def child_env() -> dict[str, str]:
    """The children's environment: bytecode (and pytest's rewritten test modules) cached, as on
    a developer's machine, but in a folder of this benchmark rather than the repository."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "gates-overhead-pycache")
    return env


def cpu_of(argv: list[str], cwd: Path) -> float:
    """CPU seconds (user + system) of the child process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, check=False, env=child_env()
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 5):
        raise RuntimeError(f"{argv} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ab(root: Path, ours: list[str], plain: list[str], repeats: int) -> dict[str, Any]:
    a: list[float] = []
    b: list[float] = []
    cpu_of(ours, root)  # warm-up: bytecode caches written, files in the page cache
    cpu_of(plain, root)
    for _ in range(repeats):
        a.append(cpu_of(ours, root))
        b.append(cpu_of(plain, root))
    ours_s, plain_s = statistics.median(a), statistics.median(b)
    return {"ours_s": ours_s, "plain_s": plain_s, "ratio": ours_s / plain_s, "ours": a, "plain": b}


def measure_size(checks: int, repeats: int, full_repeats: int) -> dict[str, Any]:
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    with tempfile.TemporaryDirectory(prefix="gates-overhead-") as tmp:
        root = Path(tmp)
        make_project(root, checks)
        row: dict[str, Any] = {"checks": checks}
        row["collect"] = ab(
            root,
            [*pytest, "--gates", "--collect-only"],
            [*pytest, "--collect-only", "test_plain.py"],
            repeats,
        )
        if full_repeats:
            row["run"] = ab(
                root,
                [*pytest, "--gates", "--gates-out", str(root / ".gates")],
                [*pytest, "test_plain.py"],
                full_repeats,
            )
        for phase in ("collect", "run"):
            if phase in row:
                data = row[phase]
                data["per_check_ms"] = 1000 * (data["ours_s"] - data["plain_s"]) / checks
                data["ours_per_check_ms"] = 1000 * data["ours_s"] / checks
        return row


def measure_validate(gates: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gates-validate-") as tmp:
        root = Path(tmp)
        path = root / "gates.yaml"
        path.write_text(manifest_text(gates, 1, chain=True))
        argv = [sys.executable, "-m", "pytest_gates", "validate", "gates.yaml"]
        empty = root / "empty"
        empty.mkdir()
        (empty / "gates.yaml").write_text(manifest_text(1, 1))
        startup = cpu_of(argv, empty)  # warm-up, and the command's own start-up
        startup = min(startup, cpu_of(argv, empty))
        start = time.perf_counter()
        cpu = cpu_of(argv, root)
        return {
            "gates": gates,
            "bytes": path.stat().st_size,
            "cpu_s": cpu,
            "wall_s": time.perf_counter() - start,
            "startup_cpu_s": startup,
        }


def profile(checks: int) -> None:
    """cProfile of ``pytest --gates --collect-only`` on ``checks`` checks, in-process."""
    import pytest

    with tempfile.TemporaryDirectory(prefix="gates-profile-") as tmp:
        root = Path(tmp)
        make_project(root, checks)
        os.chdir(root)
        profiler = cProfile.Profile()
        profiler.enable()
        pytest.main(["--gates", "--collect-only", "-q", "-p", "no:cacheprovider"])
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def wall_of(argv: list[str], cwd: Path) -> float:
    """Wall seconds of ``argv`` (for ``-n 2``, where CPU time is spread over three processes)."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=child_env())
    if done.returncode not in (0, 5):
        raise RuntimeError(f"{argv} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
    return time.perf_counter() - start


def measure_xdist(checks: int, repeats: int) -> dict[str, Any]:
    """Wall time of ``-n 2`` and ``-n 0``, ours and plain, interleaved; medians."""
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    runs = {
        "ours_n2": [*pytest, "--gates", "-n", "2"],
        "plain_n2": [*pytest, "-n", "2", "test_plain.py"],
        "ours_n0": [*pytest, "--gates"],
        "plain_n0": [*pytest, "test_plain.py"],
    }
    with tempfile.TemporaryDirectory(prefix="gates-overhead-") as tmp:
        root = Path(tmp)
        make_project(root, checks)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for argv in runs.values():
            wall_of(argv, root)  # warm-up
        for _ in range(repeats):
            for name, argv in runs.items():
                times[name].append(wall_of(argv, root))
    row: dict[str, Any] = {"checks": checks, "wall": times}
    row.update({f"{name}_s": statistics.median(values) for name, values in times.items()})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--full-repeats", type=int, default=5)
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--validate-only", action="store_true")
    parser.add_argument("--profile", type=int, metavar="N", help="profile collecting N checks")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"the JSON result file (default: {RESULT.name}, with --xdist {XDIST_RESULT.name})",
    )
    parser.add_argument(
        "--xdist", action="store_true", help="wall time of -n 2 and -n 0 at --sizes instead"
    )
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
        return
    if args.xdist:
        rows = [measure_xdist(int(size), args.repeats) for size in args.sizes.split(",") if size]
        print("| checks | -n 2 ours / plain (wall s) | -n 0 ours / plain |\n| ---: | ---: | ---: |")
        for row in rows:
            print(
                f"| {row['checks']} | {row['ours_n2_s']:.2f} / {row['plain_n2_s']:.2f} | "
                f"{row['ours_n0_s']:.2f} / {row['plain_n0_s']:.2f} |"
            )
        (args.out or XDIST_RESULT).write_text(json.dumps({"sizes": rows}, indent=2) + "\n")
        return
    args.out = args.out or RESULT
    result: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "processor": platform.processor(),
        },
        "sizes": [],
        "validate": [],
    }
    print("| checks | collect ours s | plain s | ratio | run ours s | plain s | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    sizes = [] if args.validate_only else [int(size) for size in args.sizes.split(",") if size]
    for checks in sizes:
        row = measure_size(checks, args.repeats, args.full_repeats)
        result["sizes"].append(row)
        c, r = row["collect"], row.get("run")
        run = f"{r['ours_s']:.2f} | {r['plain_s']:.2f} | {r['ratio']:.2f}x" if r else "- | - | -"
        print(f"| {checks} | {c['ours_s']:.2f} | {c['plain_s']:.2f} | {c['ratio']:.2f}x | {run} |")
    if args.no_validate and args.out.exists():
        # Keep the validate rows of the last run that measured them.
        result["validate"] = json.loads(args.out.read_text()).get("validate", [])
    if not args.no_validate:
        print(
            "\n| gates | bytes | validate CPU s | of which start-up |\n| ---: | ---: | ---: | ---: |"
        )
        for gates in VALIDATE_GATES:
            row = measure_validate(gates)
            result["validate"].append(row)
            print(f"| {gates} | {row['bytes']} | {row['cpu_s']:.2f} | {row['startup_cpu_s']:.2f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
