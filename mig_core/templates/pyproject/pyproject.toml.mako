
[tool.mig]
# The folder holding env.py, script.py.mako and versions/: a path, %(here)s/..., or
# package:resource. %(here)s is the folder of this file.
script_location = "${script_location}"

# Names of new revision files (see the tokens in docs/revisions.md); "%" is written "%%".
# file_template = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"

# Added to sys.path before env.py and revision files are imported.
prepend_sys_path = ["."]

# version_locations = ["%(here)s/migrations/versions", "%(here)s/other/versions"]
# recursive_version_locations = false
# timezone = "UTC"
# truncate_slug_length = 40
# sourceless = false
# output_encoding = "utf-8"

# Programs run on every new revision file:
# [[tool.mig.post_write_hooks]]
# name = "ruff"
# type = "exec"
# executable = "ruff"
# options = "format REVISION_SCRIPT_FILENAME"
