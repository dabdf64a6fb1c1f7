"""The partition: a pure function, total and deterministic, close to the lower bound."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pytest_gates.distribute.durations import DurationStore, canonical_nodeid, predict
from pytest_gates.distribute.partition import make_units, partition, partition_units

durations_maps = st.dictionaries(
    st.text(alphabet="abcdefgh/:_", min_size=1, max_size=12),
    st.floats(min_value=0.0, max_value=500.0, allow_nan=False),
    min_size=0,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(durations=durations_maps, n=st.integers(min_value=1, max_value=9))
@example(durations={":": 0.0, "::": 0.0}, n=2)  # all durations 0: once left a group empty
def test_every_item_is_in_exactly_one_group_and_no_group_is_empty(
    durations: dict[str, float], n: int
) -> None:
    plan = partition(durations, n)
    placed = [item for group in plan.groups for item in group]
    assert sorted(placed) == sorted(durations)
    assert len(plan.groups) == n
    if len(durations) >= n:
        assert all(plan.groups)
    assert plan.loads == tuple(sum(durations[i] for i in group) for group in plan.groups)


@settings(max_examples=100, deadline=None)
@given(durations=durations_maps, n=st.integers(min_value=1, max_value=6), seed=st.integers())
def test_the_result_does_not_depend_on_input_order(
    durations: dict[str, float], n: int, seed: int
) -> None:
    items = list(durations.items())
    random.Random(seed).shuffle(items)
    assert partition(dict(items), n) == partition(durations, n)


@settings(max_examples=100, deadline=None)
@given(durations=durations_maps, n=st.integers(min_value=1, max_value=6))
def test_the_list_scheduling_bound_holds_and_improving_never_worsens(
    durations: dict[str, float], n: int
) -> None:
    """Greedy placement guarantees makespan <= total / n + longest item; moves only lower it."""
    plan = partition(durations, n)
    total = sum(durations.values())
    longest = max(durations.values(), default=0.0)
    assert plan.makespan <= total / n + longest + 1e-6
    greedy = partition_units(make_units(durations), n, improve=False)
    assert plan.makespan <= greedy.makespan + 1e-9


def optimum(durations: list[float], n: int) -> float:
    """The least makespan over every assignment of the items to ``n`` groups (brute force)."""
    best = float("inf")
    for assignment in itertools.product(range(n), repeat=len(durations)):
        loads = [0.0] * n
        for duration, group in zip(durations, assignment, strict=True):
            loads[group] += duration
        best = min(best, max(loads))
    return best


small_durations = st.dictionaries(
    st.text(alphabet="abcdef", min_size=1, max_size=3),
    st.integers(min_value=0, max_value=20).map(float),
    min_size=1,
    max_size=7,
)


@settings(max_examples=150, deadline=None)
@given(durations=small_durations, n=st.integers(min_value=2, max_value=3))
def test_the_makespan_is_within_the_lpt_bound_of_the_brute_force_optimum(
    durations: dict[str, float], n: int
) -> None:
    """LPT's guarantee (Graham 1969): makespan <= (4/3 - 1/(3n)) x the optimum."""
    best = optimum(list(durations.values()), n)
    plan = partition(durations, n)
    assert plan.makespan <= (4 / 3 - 1 / (3 * n)) * best + 1e-9


def test_the_partition_is_optimal_where_greedy_placement_is_not() -> None:
    """LPT alone puts 3+2+2 and 3+2 (makespan 7); a swap finds 3+3 and 2+2+2 (makespan 6)."""
    durations = {"a": 3.0, "b": 3.0, "c": 2.0, "d": 2.0, "e": 2.0}
    assert partition_units(make_units(durations), 2, improve=False).makespan == 7.0
    assert partition(durations, 2).makespan == optimum(list(durations.values()), 2) == 6.0


def test_items_of_zero_duration_are_spread_so_no_group_is_empty() -> None:
    plan = partition({":": 0.0, "::": 0.0, "x": 0.0}, 2)
    assert plan.groups == ((":", "x"), ("::",))
    assert plan.loads == (0.0, 0.0)


def test_together_items_stay_in_one_group() -> None:
    durations = {f"t{i}": float(i % 5 + 1) for i in range(30)}
    together = {f"t{i}": "slow-db" for i in range(0, 30, 3)}
    plan = partition(durations, 4, together)
    groups = {
        index for index, group in enumerate(plan.groups) for item in group if item in together
    }
    assert len(groups) == 1


def test_a_known_split_is_optimal() -> None:
    plan = partition({"a": 5, "b": 4, "c": 3, "d": 3, "e": 3}, 2)
    assert sorted(plan.loads) == [9.0, 9.0]
    assert plan.makespan / plan.lower_bound([5, 4, 3, 3, 3]) == 1.0


def test_the_partition_is_identical_across_hash_seeds_and_shuffled_order() -> None:
    """20 processes, each with its own PYTHONHASHSEED and its own shuffle of the input."""
    rng = random.Random(7)
    durations = {
        f"tests/test_{i % 17}.py::test_{i}[{rng.random():.3f}]": round(rng.paretovariate(1.2), 3)
        for i in range(400)
    }
    script = (
        "import json, random, sys\n"
        "from pytest_gates.distribute.partition import partition\n"
        "items = list(json.loads(sys.stdin.read()).items())\n"
        "random.Random(int(sys.argv[1])).shuffle(items)\n"
        "print(json.dumps(partition(dict(items), 8).groups))\n"
    )
    outputs = set()
    for run in range(20):
        env = {**os.environ, "PYTHONHASHSEED": str(run * 7919 % 4294967295)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(run)],
            input=json.dumps(durations),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_canonical_node_ids_drop_the_xdist_group_suffix_only() -> None:
    assert canonical_nodeid("tests/a.py::test_view@browser") == "tests/a.py::test_view"
    assert canonical_nodeid("tests/a.py::test_x[p]@grp") == "tests/a.py::test_x[p]"
    assert (
        canonical_nodeid("tests/a.py::test_user[admin@example.org]")
        == "tests/a.py::test_user[admin@example.org]"
    )
    assert canonical_nodeid("tests/a.py::test_chain[@@@-foo]") == "tests/a.py::test_chain[@@@-foo]"


def test_the_store_reads_pytest_split_files_and_prefers_live_keys_to_stale_suffixed_twins() -> None:
    raw = {"t.py::a": 2.0, "t.py::a@browser": 50.0, "t.py::b@browser": 3.0, "t.py::c[x@y]": 1.0}
    store = DurationStore.from_data(raw, "d.json")
    assert store.items == {"t.py::a": [2.0], "t.py::b": [3.0], "t.py::c[x@y]": [1.0]}


def test_prediction_is_the_recent_mean_then_declared_then_the_module_then_the_mean() -> None:
    store = DurationStore({"m.py::a": [7.0, 1.0, 2.0, 6.0], "m.py::b": [4.0], "n.py::e": [10.0]})
    predicted = predict(
        ["m.py::a", "m.py::b", "c.py::c", "m.py::d", "n.py::e", "o.py::f"], store, {"c.py::c": 9.0}
    )
    assert {k: (v.seconds, v.source) for k, v in predicted.items()} == {
        "m.py::a": (3.0, "history"),  # the mean of the last three runs
        "m.py::b": (4.0, "history"),
        "c.py::c": (9.0, "declared"),
        "m.py::d": (3.5, "module"),  # the median of m.py's items with history
        "n.py::e": (10.0, "history"),
        "o.py::f": (17 / 3, "mean"),  # no item of o.py is known: the mean of all
    }


def test_recording_keeps_the_last_five_runs_and_writes_deterministically(tmp_path: Path) -> None:
    store = DurationStore()
    for run in range(7):
        store.record({"t.py::b@g": run + 0.12345, "t.py::a": 1.0})
    assert store.items["t.py::b"] == [2.123, 3.123, 4.123, 5.123, 6.123]
    path = tmp_path / "durations.json"
    store.save(path)
    runs_a = "".join(f"\n   1.0{',' if i < 4 else ''}" for i in range(5))
    runs_b = "".join(f"\n   {i}.123{',' if i < 6 else ''}" for i in range(2, 7))
    assert path.read_text() == (
        f'{{\n "items": {{\n  "t.py::a": [{runs_a}\n  ],\n  "t.py::b": [{runs_b}\n  ]\n }},'
        '\n "version": 1\n}\n'
    )
    assert DurationStore.load(path).items == store.items
    assert store.stale(["t.py::a"]) == ["t.py::b"]
