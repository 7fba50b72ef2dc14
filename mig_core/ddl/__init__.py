"""DDL: ALTER constructs and the default implementation."""
