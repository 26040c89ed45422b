"""Dagster definitions, loaded by dg.load_from_defs_folder."""
