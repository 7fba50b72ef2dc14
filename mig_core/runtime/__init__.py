"""Running migrations: ``environment`` (EnvironmentContext, run_env), ``migration``
(MigrationContext), ``runner`` (the step loop), ``versions`` (version table and heads
transitions), ``steps`` (MigrationStep, MigrationInfo), ``lock`` (run lock), ``history``
(the applied-history table). Nothing is imported here: importing the package stays cheap."""
