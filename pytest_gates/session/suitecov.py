"""Coverage of a gate's suites, measured in every process that runs them (gate option ``coverage:
{source: [...], min: 0.85}``).

A process of a gate session whose manifest covers a gate measures from the earliest moment a
plugin can (``pytest_load_initial_conftests``, before the project's conftest files import the
code), with coverage's API: one :class:`coverage.Coverage` whose source is every covered gate's,
switching coverage's dynamic context to the gate's id around each of the gate's items. What runs
outside any item (imports, collection) counts for every gate. An xdist worker sends its data to
the controller as bytes (:meth:`coverage.CoverageData.dumps`, in ``workeroutput``); the controller
combines the data of its processes with :meth:`coverage.CoverageData.update` and records one
coverage record per gate (:mod:`pytest_gates.outputs.coverdata`), which the chain folds into the
gate's verdict. A shard's record is partial and ``merge`` judges the shards' combination.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_gates.errors import GatesError, ManifestError
from pytest_gates.model.document import read_document
from pytest_gates.model.manifest import SuiteCoverage
from pytest_gates.model.names import NESTED_ENV
from pytest_gates.model.records import ItemRecord
from pytest_gates.outputs.coverdata import COVERAGE_NODE, FileLines, coverage_record
from pytest_gates.session.context import GatesContext
from pytest_gates.session.runtime import GATE_KEY

if TYPE_CHECKING:  # coverage is imported only by a session that measures (0.1 s otherwise)
    import coverage
    from coverage import CoverageData

#: The measurement started before the conftest files were imported.
EARLY_KEY: Final = pytest.StashKey["coverage.Coverage"]()
#: The ``workeroutput`` key a worker's coverage data travels under.
WORKER_DATA: Final = "gates_coverage"
#: The plugin's name in the plugin manager.
PLUGIN_NAME: Final = "gates-suitecov"


@contextmanager
def _quiet() -> Iterator[None]:
    # Coverage warns ("no data collected", "module never imported"): under the project's
    # filterwarnings = error a warning would become an exception in our hooks.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _new_coverage(sources: Sequence[Path]) -> coverage.Coverage:
    import coverage

    return coverage.Coverage(
        data_file=None,
        source=[str(source) for source in sources],
        branch=False,
        messages=False,
        config_file=True,
    )


def _manifest_path(config: pytest.Config) -> Path:
    option = getattr(config.known_args_namespace, "gates_manifest", None)
    if option:
        return config.invocation_params.dir / str(option)
    try:
        value = str(config.getini("gates_manifest"))
    except (ValueError, KeyError):
        value = ""
    if value:
        return (config.inipath.parent if config.inipath else config.rootpath) / value
    return config.rootpath / "manifests" / "gates.yaml"


def covered_sources_leniently(config: pytest.Config) -> list[Path]:
    """The sources of every covered gate, read without validating (validation comes later and
    reports every mistake); none when the manifest cannot be read."""
    path = _manifest_path(config)
    try:
        if b"coverage" not in path.read_bytes():
            return []  # no gate can be covered: skip parsing the manifest a second time
        # The one libyaml parse with its limits: a hostile manifest is refused here too.
        data = read_document(path, path.name, ManifestError).data
    except (OSError, GatesError):
        return []
    gates = data.get("gates") if isinstance(data, dict) else None
    sources: set[Path] = set()
    for gate in gates if isinstance(gates, list) else []:
        cover = gate.get("coverage") if isinstance(gate, dict) else None
        found = cover.get("source") if isinstance(cover, dict) else None
        if isinstance(found, list):
            sources.update((config.rootpath / s).resolve() for s in found if isinstance(s, str))
    return sorted(sources)


def start_early(config: pytest.Config) -> None:
    """Before the conftest files load: start measuring when ``--gates`` runs covered gates."""
    namespace = config.known_args_namespace
    if not getattr(namespace, "gates", False) or os.environ.get(NESTED_ENV):
        return
    if getattr(namespace, "collectonly", False):
        return
    sources = covered_sources_leniently(config)
    if not sources:
        return
    cov = _new_coverage(sources)
    with _quiet():
        cov.start()
    config.stash[EARLY_KEY] = cov


def stop_early(config: pytest.Config) -> None:
    """A session that ended before its plugins took the measurement over (a usage error)."""
    cov = config.stash.get(EARLY_KEY, None)
    if cov is not None:
        del config.stash[EARLY_KEY]
        with _quiet():
            cov.stop()


class SuiteCoverageRun:
    """This process's measurement of the covered gates' items (``measure`` is False where no
    item runs: the xdist controller, ``--collect-only``)."""

    def __init__(self, config: pytest.Config, context: GatesContext, measure: bool) -> None:
        self.config = config
        self.context = context
        self.gates: dict[str, SuiteCoverage] = {
            gate.id: gate.coverage for gate in context.loaded.manifest.gates if gate.coverage
        }
        self.cov: coverage.Coverage | None = config.stash.get(EARLY_KEY, None)
        if self.cov is not None:
            del config.stash[EARLY_KEY]
        if self.cov is not None and not (measure and self.gates):
            self._stop()
        elif self.cov is None and measure and self.gates:
            # Started late (the manifest named no covered gate when the conftests loaded).
            self.cov = _new_coverage(self._sources())
            with _quiet():
                self.cov.start()
        #: The data of every process that measured (this one, the workers).
        self.parts: list[CoverageData] = []

    def _sources(self) -> list[Path]:
        root = self.context.rootdir
        return sorted({(root / s).resolve() for c in self.gates.values() for s in c.source})

    def _stop(self) -> CoverageData | None:
        cov, self.cov = self.cov, None
        if cov is None:
            return None
        with _quiet():
            cov.stop()
            return cov.get_data()

    def _switch(self, context: str) -> None:
        if self.cov is not None:
            with _quiet():
                self.cov.switch_context(context)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        gate = item.stash.get(GATE_KEY, None)
        if self.cov is None or gate not in self.gates:
            return (yield)
        self._switch(gate)
        try:
            return (yield)
        finally:
            self._switch("")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        data = self._stop()
        if data is None:
            return
        workeroutput: dict[str, Any] | None = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKER_DATA] = data.dumps()
        else:
            self.parts.append(data)

    def absorb(self, workeroutput: dict[str, Any]) -> None:
        """A worker's data, on the controller."""
        blob = workeroutput.get(WORKER_DATA)
        if isinstance(blob, bytes):
            from coverage import CoverageData

            data = CoverageData(no_disk=True)
            data.loads(blob)
            self.parts.append(data)

    def records(self, records: Sequence[ItemRecord]) -> list[ItemRecord]:
        """One coverage record for each covered gate whose tests ran in this session."""
        judged = []
        for gate_id in sorted(self.gates):
            mine = [r for r in records if r.gate == gate_id]
            if not any(r.outcome not in {"not_run", "blocked"} for r in mine):
                continue
            # Judged here when every test of the gate ran here (a shard may hold a whole gate:
            # READY keeps the gates it audits with it); else by merge, over every shard's part.
            partial = None
            if any(r.outcome == "not_run" for r in mine):
                shard = self.context.shard
                partial = (
                    f"shard {shard.index}/{shard.total}"
                    if shard is not None
                    else "part of the gate's tests did not run"
                )
            nodeid = f"{self.context.check_prefix}{gate_id}::{COVERAGE_NODE}"
            files = self._files(gate_id)
            judged.append(coverage_record(nodeid, gate_id, files, self.gates[gate_id].min, partial))
        return judged

    def _files(self, gate_id: str) -> dict[str, FileLines]:
        import coverage
        from coverage import CoverageData
        from coverage.exceptions import CoverageException

        root = self.context.rootdir
        sources = [(root / s).resolve() for s in self.gates[gate_id].source]
        files = {}
        with tempfile.TemporaryDirectory(prefix="gates-coverage-") as scratch, _quiet():
            combined = CoverageData(basename=str(Path(scratch) / ".coverage"))
            for part in self.parts:
                combined.update(part)
            combined.write()
            cov = coverage.Coverage(data_file=combined.base_filename(), config_file=True)
            cov.load()
            data = cov.get_data()
            data.set_query_contexts(["^$", f"^{re.escape(gate_id)}$"])
            for name in sorted(data.measured_files()):
                path = Path(name).resolve()
                if not any(path == s or path.is_relative_to(s) for s in sources):
                    continue
                try:
                    _, statements, _, missing, _ = cov.analysis2(name)
                except CoverageException:
                    continue  # omitted, or not Python source
                relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else name
                files[relative] = FileLines(
                    frozenset(statements) - frozenset(missing), frozenset(missing)
                )
        return files


class SuiteCoverageNodes:
    """On the xdist controller: each worker's coverage data, as the worker goes down."""

    def __init__(self, run: SuiteCoverageRun) -> None:
        self.run = run

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        self.run.absorb(getattr(node, "workeroutput", None) or {})


def suite_coverage_records(
    config: pytest.Config, records: Sequence[ItemRecord]
) -> list[ItemRecord]:
    """The covered gates' coverage records (none when no gate is covered)."""
    run = config.pluginmanager.get_plugin(PLUGIN_NAME)
    return run.records(records) if isinstance(run, SuiteCoverageRun) else []
