"""The report's renderings, one module per format behind :mod:`.registry`."""
