"""Built-in: the core's autogenerate comparators (blockable)."""
