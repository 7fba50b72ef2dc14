"""Opt-in autogenerate comparisons, Alembic's ``alembic.ext`` namespace (enabled by name through
``context.configure(autogenerate_plugins=[...])``; the default ``alembic.autogenerate.*`` does
not match them)."""
