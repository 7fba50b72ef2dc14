"""``python -m mig_core`` runs the ``mig`` CLI."""

from mig_core.cli import console_main

console_main()
