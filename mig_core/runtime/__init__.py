"""mig_core.runtime."""
