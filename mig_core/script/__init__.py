"""mig_core.script."""
