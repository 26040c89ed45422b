"""A reconstructable `import_job` for re-execution tests: the location loaded as Dagster does,
its resources read from the environment the test sets."""

from pathlib import Path

import dagster as dg

import jobsimport_dagster


def build_import_job() -> dg.JobDefinition:
    defs = dg.load_from_defs_folder(path_within_project=Path(jobsimport_dagster.__file__).parent)
    return defs.get_job_def("import_job")
