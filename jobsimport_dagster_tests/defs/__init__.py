"""Tests of jobsimport_dagster.defs."""
