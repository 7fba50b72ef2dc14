# mig configuration. [mig] is read by default; `mig -n NAME` reads section [NAME] instead.

[mig]
# The folder holding env.py, script.py.mako and versions/: a path, %(here)s/..., or
# package:resource. %(here)s is the folder of this file.
script_location = ${script_location}

# Names of new revision files. Tokens: %%(rev)s %%(slug)s %%(epoch)s %%(year)d %%(month).2d
# %%(day).2d %%(hour).2d %%(minute).2d %%(second).2d; may contain "/" (sub-folders, then set
# recursive_version_locations = true). Default: %%(rev)s_%%(slug)s
# file_template = %%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s

# Added to sys.path (relative to this file) before env.py and revision files are imported.
prepend_sys_path = .

# Time zone of file names and "Create Date" (an IANA name such as UTC; blank: local time).
# timezone =

# Longest slug (the message part of a file name).
# truncate_slug_length = 40

# Accept .pyc revision files whose .py source is gone.
# sourceless = false

# Version folders; default <script_location>/versions. Separated by path_separator.
# version_locations = %(here)s/bar:%(here)s/bat:${script_location}/versions

# Look for revision files in sub-folders of the version folders too.
# recursive_version_locations = false

# Separator of version_locations and prepend_sys_path: os (":" or ";"), ":", ";", space, newline.
path_separator = os

# Encoding of new revision files.
# output_encoding = utf-8

# The databases env.py migrates, each configured in the section of that name.
databases = engine1, engine2

[engine1]
sqlalchemy.url = sqlite:///%(here)s/engine1.db

[engine2]
sqlalchemy.url = sqlite:///%(here)s/engine2.db

[post_write_hooks]
# Programs run on every new revision file, e.g. a formatter:
# hooks = ruff
# ruff.type = exec
# ruff.executable = ruff
# ruff.options = format REVISION_SCRIPT_FILENAME
# or with a module of this Python:
# hooks = black
# black.type = module
# black.module = black
# black.options = -q REVISION_SCRIPT_FILENAME

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
