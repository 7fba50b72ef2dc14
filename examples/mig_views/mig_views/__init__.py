"""mig-views: ``op.create_view`` / ``op.drop_view`` for mig (an example operation plugin)."""

__version__ = "0.1.0"
