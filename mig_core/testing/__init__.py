"""mig_core.testing."""
