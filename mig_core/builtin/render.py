"""Built-in: the core's autogenerate renderers."""
