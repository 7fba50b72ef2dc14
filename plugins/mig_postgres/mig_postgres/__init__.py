"""mig plugin for PostgreSQL."""

__version__ = "0.1.0"
