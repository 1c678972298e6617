"""The procedure catalogue: import and export, queries, administrative units."""
