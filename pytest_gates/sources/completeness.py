"""Completeness of a project's sources: the rules that span files.

Each problem names the source file, the line and the entry (``capabilities[id='parse']``), and
all are reported at once: unique ids, references that resolve (an obligation's capability, a
capability's milestone, obligations, corpora and benchmarks), a shipped capability with at least
one obligation, every gate class a capability in the release requires backed by something to
check, the configured release known to the ledger, and the ledger's own structure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_gates.sources.ledger import known_ids, structure_violations
from pytest_gates.sources.load import LoadedSource, SourceSet
from pytest_gates.sources.models import Capability, in_release


def _duplicates(
    source: LoadedSource[Any], section: str, what: str, ids: Sequence[str]
) -> list[str]:
    first: dict[str, int] = {}
    problems = []
    for index, ident in enumerate(ids):
        if ident in first:
            problems.append(
                source.error(
                    [section, index, "id"],
                    f"duplicate {what} id '{ident}' (first defined at {section}[{first[ident]}])",
                )
            )
        first.setdefault(ident, index)
    return problems


def _unknown(what: str, where: str, known: Sequence[str], found: str) -> str:
    return (
        f"expected the id of {what} in {where} {known_ids(dict.fromkeys(known))}, found '{found}'"
    )


def _no_source(what: str, folder: str, stem: str, found: str) -> str:
    return f"expected the id of {what}, found '{found}', but {folder} has no {stem} source"


class _Checker:
    """The problems of one source set, collected in a fixed order."""

    def __init__(self, sources: SourceSet) -> None:
        self.sources = sources
        self.problems: list[str] = []
        caps = sources.capabilities.model.capabilities
        self.capability_ids = [c.id for c in caps]
        self.obligations = sources.obligations.model.obligations
        corpora, benchmarks = sources.corpora, sources.benchmarks
        self.corpus_ids = [c.id for c in corpora.model.corpora] if corpora else []
        self.benchmark_ids = [b.id for b in benchmarks.model.benchmarks] if benchmarks else []

    def run(self) -> list[str]:
        self.duplicate_ids()
        self.capability_references()
        self.obligation_references()
        self.release_is_known()
        ledger = self.sources.ledger
        for violation in structure_violations(ledger.model):
            self.problems.append(ledger.error(list(violation.where), violation.message))
        return self.problems

    def duplicate_ids(self) -> None:
        s = self.sources
        self.problems += _duplicates(
            s.capabilities, "capabilities", "capability", self.capability_ids
        )
        self.problems += _duplicates(
            s.obligations, "obligations", "obligation", [o.id for o in self.obligations]
        )
        if s.corpora is not None:
            self.problems += _duplicates(s.corpora, "corpora", "corpus", self.corpus_ids)
        if s.benchmarks is not None:
            self.problems += _duplicates(
                s.benchmarks, "benchmarks", "benchmark", self.benchmark_ids
            )

    def capability_references(self) -> None:
        s = self.sources
        milestones = {m.id: m for m in s.ledger.model.milestones}
        owners: dict[str, str] = {}
        for obligation in self.obligations:
            owners.setdefault(obligation.id, obligation.capability)
        release = s.config.model.release
        for index, cap in enumerate(s.capabilities.model.capabilities):
            at: list[int | str] = ["capabilities", index]
            if cap.milestone is not None and cap.milestone not in milestones:
                self.problems.append(
                    s.capabilities.error(
                        [*at, "milestone"],
                        _unknown("a milestone", s.ledger.display, list(milestones), cap.milestone),
                    )
                )
            for n, ident in enumerate(cap.obligations):
                if ident not in owners:
                    message = _unknown("an obligation", s.obligations.display, list(owners), ident)
                elif owners[ident] != cap.id:
                    message = (
                        f"expected an obligation of capability '{cap.id}', found '{ident}', "
                        f"which belongs to capability '{owners[ident]}'"
                    )
                else:
                    continue
                self.problems.append(s.capabilities.error([*at, "obligations", n], message))
            self.artifact_references(at, cap)
            own = [o for o in self.obligations if o.capability == cap.id]
            if cap.status == "shipped" and not own:
                self.problems.append(
                    s.capabilities.error(
                        [*at, "status"],
                        f"a shipped capability needs at least one obligation; none in "
                        f"{s.obligations.display} names capability '{cap.id}'",
                    )
                )
            if in_release(cap, milestones, release):
                self.requirements(index, cap, bool(own), any(o.covers for o in own))

    def artifact_references(self, at: list[int | str], cap: Capability) -> None:
        s = self.sources
        for key, what, known, loaded in (
            ("corpora", "a corpus", self.corpus_ids, s.corpora),
            ("benchmarks", "a benchmark", self.benchmark_ids, s.benchmarks),
        ):
            for n, ident in enumerate(getattr(cap, key)):
                if ident in known:
                    continue
                if loaded is None:
                    message = _no_source(what, s.folder, key, ident)
                else:
                    message = _unknown(what, loaded.display, known, ident)
                self.problems.append(s.capabilities.error([*at, key, n], message))

    def requirements(self, index: int, cap: Capability, obligations: bool, covers: bool) -> None:
        """Each gate class the capability requires has something to check."""
        missing = {
            "semantic": None if obligations else "at least one obligation",
            "structural": None if covers else "obligations that cover paths (covers)",
            "differential": (
                None
                if cap.corpora and cap.differential
                else "corpora and a differential block (reference, candidate)"
            ),
            "benchmark": None if cap.benchmarks else "at least one benchmark",
            "freshness": None if cap.corpora or cap.benchmarks else "a corpus or a benchmark",
        }
        for n, gate_class in enumerate(cap.requires):
            needed = missing[gate_class]
            if needed is not None:
                self.problems.append(
                    self.sources.capabilities.error(
                        ["capabilities", index, "requires", n],
                        f"capability '{cap.id}' requires {gate_class} gates, which need {needed}; "
                        "it has none",
                    )
                )

    def obligation_references(self) -> None:
        s = self.sources
        for index, obligation in enumerate(self.obligations):
            if obligation.capability not in self.capability_ids:
                self.problems.append(
                    s.obligations.error(
                        ["obligations", index, "capability"],
                        _unknown(
                            "a capability",
                            s.capabilities.display,
                            self.capability_ids,
                            obligation.capability,
                        ),
                    )
                )

    def release_is_known(self) -> None:
        s = self.sources
        release = s.config.model.release
        releases = list(dict.fromkeys(m.release for m in s.ledger.model.milestones))
        if release is not None and release not in releases:
            self.problems.append(
                s.config.error(
                    ["release"],
                    f"expected the release of a milestone in {s.ledger.display} "
                    f"{known_ids(releases)}, found '{release}'",
                )
            )


def completeness_problems(sources: SourceSet) -> list[str]:
    """Every cross-file problem of ``sources``, rule by rule; empty when they are complete."""
    return _Checker(sources).run()
