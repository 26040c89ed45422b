"""`import_job` as the tests run it: resolved with given resources for `execute_in_process`, or
reconstructable (the location loaded as Dagster does, its resources read from the environment
the test sets) for re-execution."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

import jobsimport_dagster
from jobsimport_dagster.defs.imports.assets import import_results, rejected_files
from jobsimport_dagster.defs.imports.jobs import import_job


def resolved_import_job(resources: Mapping[str, Any]) -> dg.JobDefinition:
    """`import_job` (an asset job) resolved against its asset with these resources."""
    defs = dg.Definitions(
        assets=[import_results, rejected_files], jobs=[import_job], resources=dict(resources)
    )
    return defs.resolve_job_def("import_job")


def build_import_job() -> dg.JobDefinition:
    defs = dg.load_from_defs_folder(path_within_project=Path(jobsimport_dagster.__file__).parent)
    return defs.resolve_job_def("import_job")
