"""mig plugin for SQLite."""

__version__ = "0.1.0"
