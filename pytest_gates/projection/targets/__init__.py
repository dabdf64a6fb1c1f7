"""CI targets a manifest is projected onto: one module per target."""
