"""What a manifest is: the models, the needs graph, document reading with line marks, findings and item records."""
