"""Names every layer shares, imported before anything heavy: gate classes and the default paths.

``pytest_gates.plugin`` is imported by every pytest run of a project that has pytest-gates
installed, ``--gates`` or not, so this module imports nothing of ours and nothing heavy.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

#: The class of a gate: what kind of quality dimension it owns.
GateClass = Literal["structural", "semantic", "differential", "benchmark", "freshness"]
#: The gate classes, in the order markers and tox environments list them.
GATE_CLASSES: Final[tuple[str, ...]] = get_args(GateClass)

#: Set in the environment of a test run that a check starts (the ``coverage`` kind). There,
#: ``--gates`` is ignored: that run measures the tests, it is not a second gate session.
NESTED_ENV: Final = "PYTEST_GATES_NESTED"

#: The gate manifest, relative to the rootdir.
DEFAULT_MANIFEST: Final = "manifests/gates.yaml"
#: Where a run writes evidence, the transition log and the reports.
DEFAULT_OUT: Final = ".gates"
#: Recorded item durations that balance shards and workers.
DEFAULT_DURATIONS: Final = "manifests/durations.json"
#: The committed JSON Schema of the manifest.
DEFAULT_MANIFEST_SCHEMA: Final = "manifests/schema/manifest.schema.json"
#: The committed JSON Schemas of the source files.
DEFAULT_SOURCE_SCHEMAS: Final = "manifests/schema/sources"
#: The configuration ``pytest-gates generate`` reads: which sources make the manifest.
DEFAULT_SOURCES_CONFIG: Final = "gates/generate.yaml"
#: The kind of READY's check: it reads every gate its gate needs, at any depth.
READY_KIND: Final = "ready"
