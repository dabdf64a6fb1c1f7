"""The needs graph: cycles, the run order, connected groups and what blocks a gate.

One implementation, used by loading (cycles, order), the ledger's rules (every cycle), the
distribution (groups), the live chain on each process and the fold at the end (blocking roots).
Every function takes the graph as a mapping from each node to the nodes it needs, in the
manifest's order, and depends only on that: never on set or dict iteration order across processes.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterator, Mapping, Sequence

#: node -> the nodes it needs, in declaration order.
Needs = Mapping[str, Sequence[str]]


def find_cycles(needs: Needs) -> list[list[str]]:
    """Each cycle once, closed (``[a, b, a]``), found in declaration order.

    A depth-first search without recursion, so a chain of any length is fine.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []
    where: dict[str, int] = {}  # node -> its index in ``stack``
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    pending: list[Iterator[str]] = []  # the needs of each node on the path, still to visit

    def enter(node: str) -> None:
        state[node] = 1
        where[node] = len(stack)
        stack.append(node)
        pending.append(iter(needs.get(node, ())))

    for start in needs:
        if start in state:
            continue
        enter(start)
        while pending:
            for nxt in pending[-1]:
                if state.get(nxt) == 1:
                    cycle = [*stack[where[nxt] :], nxt]
                    key = tuple(sorted(set(cycle)))
                    if key not in seen:
                        seen.add(key)
                        cycles.append(cycle)
                elif nxt not in state and nxt in needs:
                    enter(nxt)
                    break
            else:
                pending.pop()
                done = stack.pop()
                del where[done]
                state[done] = 2
    return cycles


def find_cycle(needs: Needs) -> list[str] | None:
    """The first cycle in declaration order, closed: ``[a, b, a]``; None when there is none."""
    cycles = find_cycles(needs)
    return cycles[0] if cycles else None


def topological_order(needs: Needs) -> list[str]:
    """Nodes so that each comes after all it needs; among the ready ones, declaration order first.

    Raises ``ValueError`` on a cycle (loading refuses cycles before anything asks for an order).
    """
    position = {node: i for i, node in enumerate(needs)}
    known = {node: {dep for dep in deps if dep in position} for node, deps in needs.items()}
    waiting = {node: len(deps) for node, deps in known.items()}
    dependents: dict[str, list[str]] = {node: [] for node in needs}
    for node, deps in known.items():
        for dep in deps:
            dependents[dep].append(node)
    ready = [position[node] for node, count in waiting.items() if not count]
    heapq.heapify(ready)
    nodes = list(needs)
    order: list[str] = []
    while ready:
        head = nodes[heapq.heappop(ready)]
        order.append(head)
        for node in dependents[head]:
            waiting[node] -= 1
            if not waiting[node]:
                heapq.heappush(ready, position[node])
    if len(order) != len(nodes):
        raise ValueError("dependency cycle")
    return order


def connected_groups(needs: Needs) -> dict[str, str]:
    """Each node's group: nodes joined by needs (in either direction) share one group, named
    after its first node in run order. A group is the unit one xdist worker runs in order."""
    parent = {node: node for node in needs}

    def find(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for node, deps in needs.items():
        for need in deps:
            parent[find(node)] = find(need)
    order = topological_order(needs)
    first: dict[str, str] = {}
    for node in order:
        first.setdefault(find(node), node)
    return {node: first[find(node)] for node in order}


def blocking_roots(
    node: str,
    needs: Needs,
    order: Sequence[str],
    failed: Collection[str],
    blocked: Mapping[str, Sequence[str]],
    settled: Collection[str] = (),
) -> tuple[str, ...]:
    """The failed nodes at the root of ``node`` being blocked, in ``order``.

    A need in ``failed`` is a root; a need in ``blocked`` contributes its own roots; a need in
    ``settled`` (known to have passed) contributes nothing; a need not known yet contributes the
    roots of its own needs, so a gate is known to be blocked as soon as any gate below it failed.
    """
    roots: set[str] = set()
    visited: set[str] = set()
    todo = [node]
    while todo:  # without recursion: a long chain of unknown gates is fine
        for need in needs.get(todo.pop(), ()):
            if need in failed:
                roots.add(need)
            elif need in blocked:
                roots.update(blocked[need])
            elif need not in settled and need not in visited:
                visited.add(need)
                todo.append(need)
    if len(roots) < 2:
        return tuple(roots)
    position = {name: i for i, name in enumerate(order)}
    return tuple(sorted(roots, key=lambda name: position.get(name, len(position))))


def upstream(node: str, needs: Needs, order: Sequence[str]) -> tuple[str, ...]:
    """Every node ``node`` needs, at any depth, in ``order``."""
    seen: set[str] = set()
    todo = [node]
    while todo:
        for need in needs.get(todo.pop(), ()):
            if need not in seen:
                seen.add(need)
                todo.append(need)
    return tuple(name for name in order if name in seen)
