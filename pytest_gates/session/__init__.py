"""The pytest side of a ``pytest --gates`` run: context, collection, items, the runtime and controller plugins."""
