"""Support: atomic writes, digests and canonical JSON, the subject (git), paths and globs. Imports nothing of ours."""
