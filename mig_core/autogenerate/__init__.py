"""mig_core.autogenerate."""
