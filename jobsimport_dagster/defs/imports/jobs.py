"""Job `import_job`, partitioned by `import_files`: one run imports one file."""

import dagster as dg

from jobsimport_dagster.defs.imports.ops import (
    dedupe_rows,
    enrich_rows,
    finish_import,
    insert_rows,
    start_import,
    validate_rows,
)
from jobsimport_dagster.defs.imports.partitions import import_files


@dg.job(partitions_def=import_files, executor_def=dg.in_process_executor)
def import_job() -> None:
    """One import: steps run in one process, one after another; state lives in Postgres."""
    finish_import(insert_rows(enrich_rows(dedupe_rows(validate_rows(start_import())))))


@dg.definitions
def import_definitions() -> dg.Definitions:
    return dg.Definitions(jobs=[import_job])
