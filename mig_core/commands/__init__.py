"""Implementations behind :mod:`mig_core.command`, one module per area."""
