# mig configuration for what does not belong in pyproject.toml: the database URL and logging.
# The source layout (script_location ...) is in [tool.mig] of pyproject.toml.

[mig]
# The database env.py connects to (online) or writes SQL for (--sql).
sqlalchemy.url = sqlite:///%(here)s/app.db

# Logging, as set up by env.py (logging.config.fileConfig).
[loggers]
keys = root,sqlalchemy,mig

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_mig]
level = INFO
handlers =
qualname = mig

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
