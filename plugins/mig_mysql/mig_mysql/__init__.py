"""mig-mysql: MySQL and MariaDB support for mig (DDL, autogenerate, run lock)."""
