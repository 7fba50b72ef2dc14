"""mig plugin for SQL Server."""

__version__ = "0.1.0"
