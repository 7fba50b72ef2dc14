"""mig_core.operations."""
