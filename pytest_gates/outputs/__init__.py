"""What a run writes and reads back: documents as models, evidence, the transition log, reports,
verify, merge. :func:`write_outputs` is the public way to write a run's outputs."""

from pytest_gates.outputs.write import write_outputs

__all__ = ["write_outputs"]
