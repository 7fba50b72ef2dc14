"""mig plugin for Oracle."""

__version__ = "0.1.0"
