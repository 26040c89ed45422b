"""`upload_sensor`: complete files in the watched folder become partitions and runs (SPEC §4)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from jobsimport_dagster.clients.dagster_graphql import PARTITION_TAG
from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.db import jobs, uploads
from jobsimport_dagster.defs.imports.metadata import (
    REJECTED_ASSET,
    RESULTS_ASSET,
    accepted_metadata,
    rejected_metadata,
    run_tags,
)
from jobsimport_dagster.defs.imports.partitions import import_files
from jobsimport_dagster.defs.resources import DatabaseResource, UploadFolderResource
from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.intake import folders
from jobsimport_dagster.intake.keys import base_key, first_free_key
from jobsimport_dagster.intake.scan import Candidate, dump_cursor, load_cursor, scan, watched_folder
from jobsimport_dagster.intake.screen import screen_file
from jobsimport_dagster.settings import Settings

# Partition keys per query when looking for queued imports that have no run.
_RUN_CHECK_PAGE = 500


def tick_result(
    imports: Sequence[jobs.ImportJob],
    cursor: str,
    rejections: Sequence[folders.Rejection] | None = None,
) -> dg.SensorResult:
    """What a tick returns: each import's partition (added if missing), its first record in
    `import_results` (`queued`, see `accepted_metadata`) and its run, keyed by it; when the tick
    rejected files, an observation of `rejected_files` listing every rejection.

    The daemon reports a tick's asset events before it creates its runs, so the record always
    comes before the run plans the partition. `run_key` = partition key, so a request repeated
    after a lost tick never starts a second run.
    """
    keys = [job.partition_key for job in imports]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=job.partition_key,
                partition_key=job.partition_key,
                tags=run_tags(job),
            )
            for job in imports
        ],
        dynamic_partitions_requests=[import_files.build_add_request(keys)] if keys else [],
        asset_events=[
            *(
                dg.AssetMaterialization(
                    RESULTS_ASSET,
                    partition=job.partition_key,
                    description="Accepted by upload_sensor; its run imports the rows.",
                    metadata=accepted_metadata(job),
                )
                for job in imports
            ),
            *(
                [dg.AssetObservation(REJECTED_ASSET, metadata=rejected_metadata(list(rejections)))]
                if rejections is not None
                else []
            ),
        ],
        cursor=cursor,
    )


@dg.sensor(
    job_name="import_job",
    minimum_interval_seconds=Settings.from_env().sensor_interval,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def upload_sensor(
    context: dg.SensorEvaluationContext,
    database: DatabaseResource,
    upload_folder: UploadFolderResource,
) -> dg.SensorResult:
    """List, scan, screen, register and move at most 50 files; re-request lost runs first.

    Order per file: the `queued` row is committed before the file moves to archive/, so a tick
    that dies at any point leaves a row that the next tick finds without a run and requests.
    """
    root = upload_folder.root
    engine = database.get_engine()
    now = datetime.now(UTC)
    folders.ensure_tree(root)
    lost = _lost_imports(context, engine, root)
    scanned = scan(folders.list_entries(root), load_cursor(context.cursor))
    rejected: list[str] = []
    accepted = [
        job
        for candidate in scanned.candidates
        if (job := _take(context, engine, upload_folder, candidate, now, rejected)) is not None
    ]
    rejections = folders.list_rejections(root) if rejected else None
    return tick_result([*lost, *accepted], dump_cursor(scanned.cursor), rejections)


def _lost_imports(
    context: dg.SensorEvaluationContext, engine: sa.Engine, root: Path
) -> list[jobs.ImportJob]:
    """`queued` imports with no run at all: a tick died before its requests reached Dagster.

    Every queued import is checked, however long the queue, a page of keys per query.
    """
    with engine.connect() as conn:
        queued = jobs.list_jobs(conn, status=JobStatus.QUEUED, limit=None)
    with_runs: set[str | None] = set()
    for start in range(0, len(queued), _RUN_CHECK_PAGE):
        keys = [job.partition_key for job in queued[start : start + _RUN_CHECK_PAGE]]
        runs = context.instance.get_runs(filters=dg.RunsFilter(tags={PARTITION_TAG: keys}))
        with_runs |= {run.tags.get(PARTITION_TAG) for run in runs}
    lost = [job for job in queued if job.partition_key not in with_runs]
    for job in lost:
        context.log.warning(f"Requesting the run of {job.partition_key} again: it has none.")
        _archive_left_behind(context, root, job)
    return lost


def _archive_left_behind(
    context: dg.SensorEvaluationContext, root: Path, job: jobs.ImportJob
) -> None:
    """Finish the move of a file whose tick died between committing its row and archiving it."""
    if folders.is_archived(root, job.partition_key):
        return
    source = folders.source_path(root, watched_folder(job.type, job.dry_run), job.file_name)
    if source.is_file() and folders.hash_file(source).sha256 == job.file_sha256:
        folders.archive(root, source, job.partition_key)
    else:
        context.log.error(f"{job.partition_key} has no archived file; its run will fail.")


def _take(
    context: dg.SensorEvaluationContext,
    engine: sa.Engine,
    upload_folder: UploadFolderResource,
    candidate: Candidate,
    now: datetime,
    rejected: list[str],
) -> jobs.ImportJob | None:
    """Screen one complete file: reject it with its reason (noted in `rejected`), or register
    and archive it."""
    root = upload_folder.root
    path = folders.source_path(root, candidate.folder, candidate.name)
    try:
        adapter = screen_file(
            path,
            import_type=candidate.folder.import_type,
            max_bytes=upload_folder.max_upload_bytes,
        )
        digest = folders.hash_file(path)
    except FileRejected as refusal:
        folders.reject(root, path, refusal.reason, now)
        context.log.warning(f"Rejected {candidate.path!r}: {refusal.reason}")
        rejected.append(candidate.path)
        return None
    except FileNotFoundError:  # removed since the listing
        return None
    if digest.size != candidate.size:  # still being written: the next ticks see it again
        return None
    folder = candidate.folder
    base = base_key(
        import_type=folder.import_type,
        dry_run=folder.dry_run,
        now=now,
        file_name=candidate.name,
        sha256=digest.sha256,
    )
    with engine.begin() as conn:
        key = _free_key(conn, root, base)
        # A file sent from the console brings the options it was sent with.
        upload = uploads.claim_upload(
            conn,
            folder=folder.path,
            file_name=candidate.name,
            file_sha256=digest.sha256,
            partition_key=key,
        )
        job = jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=key,
                type=folder.import_type,
                source=adapter.name,
                file_name=candidate.name,
                file_sha256=digest.sha256,
                file_bytes=digest.size,
                uploaded_by=folders.owner_name(candidate.uid),
                dry_run=folder.dry_run,
                skip_duplicates=upload.skip_duplicates if upload else True,
            ),
        )
        jobs.add_event(
            conn,
            job.id,
            f"accepted {candidate.path} as {adapter.name}",
            meta={"file": candidate.name, "bytes": digest.size, "sha256": digest.sha256},
        )
    folders.archive(root, path, key)
    context.log.info(f"Accepted {candidate.path} as {key} ({adapter.name}).")
    return job


def _free_key(conn: sa.Connection, root: Path, base: str) -> str:
    """The first of `base`, `base-2`… used by no import (this tick's included) and no archive."""
    used: set[str] = set()
    while True:
        key = first_free_key(base, used)
        if not jobs.existing_partition_keys(conn, [key]) and not folders.is_archived(root, key):
            return key
        used.add(key)


@dg.definitions
def sensor_definitions() -> dg.Definitions:
    return dg.Definitions(sensors=[upload_sensor])
