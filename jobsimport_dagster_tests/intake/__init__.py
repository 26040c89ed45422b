"""Tests of jobsimport_dagster.intake."""
