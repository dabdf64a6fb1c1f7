"""The authoritative sources a manifest is generated from: models, loading, completeness, generation."""
