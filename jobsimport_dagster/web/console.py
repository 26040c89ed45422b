"""The import console (SPEC §11): the pages Dagster's UI does not have, and their JSON twins.

Served by `jobsimport dev` beside Dagster's UI, behind the same token gate. Every number comes
from Postgres (`import_jobs`, `import_rows`) through the same queries as `jobsimport status` and
`jobsimport rows`; runs and retries go through Dagster's GraphQL API with the same client as
`jobsimport retry-failed`; uploads are screened and placed by the watched folder's own code.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Message, Receive

from jobsimport_dagster.clients.dagster_graphql import (
    RETRYABLE_RUN_STATUSES,
    DagsterGraphQLClient,
    RunSummary,
)
from jobsimport_dagster.codes import JobStatus, RowCode, RowStatus
from jobsimport_dagster.db import jobs, uploads
from jobsimport_dagster.db.engine import engine_for
from jobsimport_dagster.db.row_list import RowQuery, list_rows
from jobsimport_dagster.errors import DagsterApiError, FileRejected
from jobsimport_dagster.intake import folders
from jobsimport_dagster.intake.scan import ImportType, is_ignored_name, watched_folder
from jobsimport_dagster.intake.screen import screen_file
from jobsimport_dagster.steps.export import failed_csv_path
from jobsimport_dagster.web.gate import is_same_origin

HERE = Path(__file__).resolve().parent
STATIC_PATH = "/console-static"
PAGE_SIZE = 50
API_MAX_LIMIT = 1000
# What a multipart body holds besides the file: boundaries, part headers, the small fields.
FORM_OVERHEAD_BYTES = 64 * 1024
# Where uploads are written before screening: hidden, at the root of the watched tree (so on
# its file system, for the final link), and in none of the four folders the sensor reads.
INCOMING = ".incoming"
FINISHED_RUN_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
LIVE_JOB_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.PROCESSING})
REJECTIONS_SHOWN = 5
EVENTS_SHOWN = 5
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ConsoleConfig:
    """What the console needs: the import tables, the watched folder and its size limit, and
    where this same server answers `/graphql` (with the token, when one is set)."""

    database_url: str
    upload_dir: Path
    max_upload_bytes: int
    sensor_interval: int
    graphql_url: str
    ui_token: str | None


class BodyTooLarge(Exception):
    """The request body went past the largest upload accepted."""


def is_cross_site(request: Request) -> bool:
    """A request a page of another origin made the browser send (SPEC §11: no cross-site
    upload or retry). The gate's same-origin rule, applied whatever the credential: a
    browser also adds a remembered Basic login to another site's form post."""
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    return not is_same_origin(origin, request.headers.get("host"))


def upload_name(sent: str | None) -> tuple[str, str | None]:
    """The name an upload is kept under, and why it is refused, if it is.

    A name that names folders (`../x.csv`, `a/b.csv`, `C:\\x.csv`) would leave the watched
    folder; a hidden or `.part`/`.tmp` name would be ignored by the sensor. Either is kept
    under its last part (so nothing sent is lost) and refused with the reason.
    """
    sent = (sent or "").replace("\0", "")
    if not sent:
        return (
            "upload",
            "The file was sent without a name; send it under a name ending .csv (or .zip for"
            " a whole export).",
        )
    last = PurePosixPath(sent.replace("\\", "/")).name
    kept = last if last not in ("", ".", "..") else "upload"
    if kept != sent:
        return kept, (
            f"The file name {sent!r} names folders, so it would leave the watched folder; "
            "send the file under a plain name."
        )
    if is_ignored_name(kept):
        return kept, (
            f"The file name {kept!r} is hidden or ends in .part/.tmp, which the watched folder "
            "ignores; rename it and send it again."
        )
    return kept, None


def as_flag(values: list[str], *, default: bool) -> bool:
    """A checkbox or script field: the last value sent wins (the form sends a hidden `false`
    before each checkbox), absent means the default."""
    if not values:
        return default
    return values[-1].strip().lower() in ("on", "true", "1", "yes")


def run_dict(run: RunSummary | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "run_id": run.run_id,
        "status": run.status,
        "start_time": run.start_time,
        "end_time": run.end_time,
    }


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def import_dict(job: jobs.ImportJob, run: RunSummary | None) -> dict[str, Any]:
    """An import as `/api/imports` shows it: its row in `import_jobs` (as `jobsimport status`
    prints it, `left_rows` being its LEFT column) and its latest run in Dagster."""
    return {
        "partition_key": job.partition_key,
        "file_name": folders.shown_name(job.file_name),
        "type": job.type,
        "source": job.source,
        "status": job.status,
        "dry_run": job.dry_run,
        "skip_duplicates": job.skip_duplicates,
        "uploaded_by": job.uploaded_by,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "success_rows": job.success_rows,
        "failed_rows": job.failed_rows,
        "skipped_rows": job.skipped_rows,
        "left_rows": job.total_rows - job.processed_rows,
        "progress": round(job.processed_rows / job.total_rows, 4) if job.total_rows else 0.0,
        "file_bytes": job.file_bytes,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "completed_at": _time(job.completed_at),
        "latest_run": run_dict(run),
    }


def is_live(job: jobs.ImportJob, run: RunSummary | None) -> bool:
    """Whether a run is (or is about to be) working on the import: the page keeps refreshing."""
    return job.status in LIVE_JOB_STATUSES or (
        run is not None and run.status not in FINISHED_RUN_STATUSES
    )


def _int(value: str | None, default: int, *, low: int, high: int | None = None) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        raise HTTPException(400, f"not a whole number: {value!r}") from None
    if number < low or (high is not None and number > high):
        raise HTTPException(400, f"{number} is out of range")
    return number


def _choice(value: str | None, allowed: list[str], what: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise HTTPException(400, f"unknown {what}: {value!r}")
    return value


ROW_STATUSES = [str(s) for s in RowStatus]
ROW_CODES = [str(c) for c in RowCode]
JOB_STATUSES = [str(s) for s in JobStatus]
IMPORT_TYPES = [str(t) for t in ImportType]


def row_query(request: Request, *, limit: int) -> RowQuery:
    """The rows filters of `jobsimport rows` from a query string; a bad value is a 400."""
    params = request.query_params
    return RowQuery(
        status=_choice(params.get("status"), ROW_STATUSES, "status"),
        code=_choice(params.get("code"), ROW_CODES, "code"),
        search=params.get("search") or None,
        limit=limit,
        offset=_int(params.get("offset"), 0, low=0),
    )


def dagster_links(partition_key: str, run: RunSummary | None) -> dict[str, str]:
    """Dagster's own pages for the import: its partition of `import_results`, its run."""
    links = {
        "partition": "/assets/import_results?"
        + urlencode({"view": "partitions", "partition": partition_key})
    }
    if run is not None:
        links["run"] = f"/runs/{quote(run.run_id)}"
    return links


class Console:
    """The console's handlers over one engine, one template set and the GraphQL client."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.engine = engine_for(config.database_url)
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        environment.globals.update(static=STATIC_PATH, page_size=PAGE_SIZE)
        environment.filters["when"] = lambda value: (
            value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "—"
        )
        environment.filters["shown"] = folders.shown_name
        environment.filters["urlquote"] = lambda value: quote(str(value), safe="")
        self.templates = Jinja2Templates(env=environment)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/imports", self.imports_page),
            Route("/imports/{partition_key}", self.import_page),
            Route("/imports/{partition_key}/failed.csv", self.failed_csv),
            Route("/imports/{partition_key}/retry", self.retry, methods=["POST"]),
            Route("/upload", self.upload_page, methods=["GET"]),
            Route("/upload", self.upload, methods=["POST"]),
            Route("/api/imports", self.api_imports),
            Route("/api/imports/{partition_key}", self.api_import),
            Route("/api/imports/{partition_key}/rows", self.api_rows),
            Mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="console-static"),
        ]

    # Reads

    def _client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient(self.config.graphql_url, self.config.ui_token, timeout=10)

    def _latest_runs(self, keys: list[str] | None) -> tuple[dict[str, RunSummary], str | None]:
        """The newest run of each import (of these keys, or of the last 1000 runs), or none
        and why: the pages still show the counters when Dagster does not answer."""
        client = self._client()
        try:
            return client.latest_runs(partition_keys=keys), None
        except DagsterApiError as error:
            return {}, f"Runs are not shown: {error}"
        finally:
            client.close()

    def _job(self, conn: sa.Connection, partition_key: str) -> jobs.ImportJob:
        job = jobs.get_job(conn, partition_key=partition_key)
        if job is None:
            raise HTTPException(404, f"unknown partition key: {partition_key}")
        return job

    def _job_page(self, request: Request, *, limit: int) -> tuple[jobs.JobPage, dict[str, Any]]:
        params = request.query_params
        filters = {
            "status": _choice(params.get("status"), JOB_STATUSES, "status"),
            "type": _choice(params.get("type"), IMPORT_TYPES, "type"),
            "search": params.get("search") or None,
            "offset": _int(params.get("offset"), 0, low=0),
        }
        with self.engine.connect() as conn:
            page = jobs.find_jobs(
                conn,
                status=filters["status"],
                import_type=filters["type"],
                file_search=filters["search"],
                limit=limit,
                offset=filters["offset"],
            )
        return page, filters

    def api_imports(self, request: Request) -> JSONResponse:
        limit = _int(request.query_params.get("limit"), PAGE_SIZE, low=1, high=API_MAX_LIMIT)
        page, _filters = self._job_page(request, limit=limit)
        runs, _note = self._latest_runs(None)
        return JSONResponse(
            {
                "imports": [import_dict(j, runs.get(j.partition_key)) for j in page.jobs],
                "total": page.total,
            }
        )

    def api_import(self, request: Request) -> JSONResponse:
        key = request.path_params["partition_key"]
        with self.engine.connect() as conn:
            job = self._job(conn, key)
        runs, _note = self._latest_runs([key])
        return JSONResponse(import_dict(job, runs.get(key)))

    def api_rows(self, request: Request) -> JSONResponse:
        """`{"rows": [...], "total": N}`: the object `jobsimport rows --format json` prints."""
        limit = _int(request.query_params.get("limit"), PAGE_SIZE, low=1, high=API_MAX_LIMIT)
        query = row_query(request, limit=limit)
        with self.engine.connect() as conn:
            job = self._job(conn, request.path_params["partition_key"])
            page = list_rows(conn, job_id=job.id, import_type=job.type, query=query)
        return JSONResponse(page.as_dict())

    def imports_page(self, request: Request) -> Response:
        page, filters = self._job_page(request, limit=PAGE_SIZE)
        runs, runs_note = self._latest_runs(None)
        imports = [
            {
                **import_dict(job, runs.get(job.partition_key)),
                "links": dagster_links(job.partition_key, runs.get(job.partition_key)),
                "job": job,
            }
            for job in page.jobs
        ]
        return self.templates.TemplateResponse(
            request,
            "imports.html",
            {
                "imports": imports,
                "total": page.total,
                "filters": filters,
                "statuses": JOB_STATUSES,
                "types": IMPORT_TYPES,
                "runs_note": runs_note,
                "pages": _pages(request, page.total, filters["offset"]),
            },
        )

    def import_page(self, request: Request) -> Response:
        key = request.path_params["partition_key"]
        query = row_query(request, limit=PAGE_SIZE)
        with self.engine.connect() as conn:
            job = self._job(conn, key)
            rows = list_rows(conn, job_id=job.id, import_type=job.type, query=query)
            events = jobs.recent_events(conn, job.id, limit=EVENTS_SHOWN)
        runs, runs_note = self._latest_runs([key])
        run = runs.get(key)
        csv_path = failed_csv_path(self.config.upload_dir, key)
        folder = self.config.upload_dir / watched_folder(job.type, dry_run=False).path
        return self.templates.TemplateResponse(
            request,
            "import.html",
            {
                "job": job,
                "info": import_dict(job, run),
                "run": run,
                "live": is_live(job, run),
                "can_retry": run is not None and run.status in RETRYABLE_RUN_STATUSES,
                "links": dagster_links(key, run),
                "rows": rows,
                "events": events,
                "query": query,
                "statuses": ROW_STATUSES,
                "codes": ROW_CODES,
                "has_failed_csv": csv_path.is_file(),
                "fix_folder": folder,
                "runs_note": runs_note,
                "retried": request.query_params.get("retried"),
                "pages": _pages(request, rows.total, query.offset),
            },
        )

    def failed_csv(self, request: Request) -> Response:
        """The import's failed-rows CSV (`uploads/failed/<key>.failed.csv`) as a download."""
        key = request.path_params["partition_key"]
        with self.engine.connect() as conn:
            self._job(conn, key)
        path = failed_csv_path(self.config.upload_dir, key)
        if not path.is_file():
            raise HTTPException(404, "this import has no failed rows")
        return FileResponse(path, media_type="text/csv; charset=utf-8", filename=path.name)

    # Writes

    def retry(self, request: Request) -> Response:
        """Re-execute the partition through Dagster, as `jobsimport retry-failed KEY` does."""
        key = request.path_params["partition_key"]
        if is_cross_site(request):
            raise HTTPException(403, "a retry must come from the console's own page")
        with self.engine.connect() as conn:
            self._job(conn, key)
        client = self._client()
        try:
            (retry,) = client.retry_failed(partition_keys=[key])
        except DagsterApiError as error:
            raise HTTPException(502, f"Dagster refused the retry: {error}") from None
        finally:
            client.close()
        outcome = retry.run.run_id if retry.run else "none"
        return RedirectResponse(f"/imports/{quote(key)}?retried={quote(outcome)}", 303)

    def upload_page(self, request: Request) -> Response:
        """The upload form; with `?received=<id>`, the file on its way to its import, followed
        until the sensor has taken it (then straight to the import's page)."""
        received = None
        if upload_id := request.query_params.get("received"):
            try:
                with self.engine.connect() as conn:
                    received = uploads.get_upload(conn, uuid.UUID(upload_id))
            except ValueError:
                received = None
            if received is None:
                raise HTTPException(404, "no such upload")
            if received.partition_key:
                return RedirectResponse(f"/imports/{quote(received.partition_key)}", 303)
        return self._upload_form(request, received=received)

    def _upload_form(
        self,
        request: Request,
        *,
        received: uploads.Upload | None = None,
        rejected: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        return self.templates.TemplateResponse(
            request,
            "upload.html",
            {
                "received": received,
                "rejected": rejected,
                "max_bytes": self.config.max_upload_bytes,
                "wait_seconds": 2 * self.config.sensor_interval,
                "rejections": folders.list_rejections(self.config.upload_dir)[:REJECTIONS_SHOWN],
                "types": IMPORT_TYPES,
            },
            status_code=status_code,
        )

    async def upload(self, request: Request) -> Response:
        """Screen a sent file by the watched folder's rules and place it there (SPEC §11).

        A body over the limit is refused from its `Content-Length` before a byte is read, or
        as soon as it grows past it; a cross-site post is refused before anything is read. A
        refused file is kept in `uploads/rejected/` with its reason, as a dropped one.
        """
        if is_cross_site(request):
            return self._refuse(request, 403, "A file can only be sent from the console's page.")
        limit = self.config.max_upload_bytes + FORM_OVERHEAD_BYTES
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            return self._too_large(request)
        counted = Request(request.scope, _counting(request.receive, limit))
        try:
            form = await counted.form(max_files=1, max_fields=8)
        except BodyTooLarge:
            return self._too_large(request)
        sent = form.get("file")
        import_type = form.get("type")
        if not isinstance(sent, UploadFile) or import_type not in IMPORT_TYPES:
            await form.close()
            return self._refuse(request, 400, "Send a file and its type (movies or shows).")
        dry_run = as_flag([str(v) for v in form.getlist("dry_run")], default=False)
        skip = as_flag([str(v) for v in form.getlist("skip_duplicates")], default=True)
        try:
            return await run_in_threadpool(
                self._take_upload, request, sent, str(import_type), dry_run, skip
            )
        finally:
            await form.close()

    def _take_upload(
        self,
        request: Request,
        sent: UploadFile,
        import_type: str,
        dry_run: bool,
        skip_duplicates: bool,
    ) -> Response:
        root = self.config.upload_dir
        folders.ensure_tree(root)
        name, refusal = upload_name(sent.filename)
        staging = root / INCOMING / secrets.token_hex(8)
        staging.mkdir(parents=True)
        staged = staging / name
        try:
            sha256 = _write(sent, staged)
            if refusal is not None:
                raise FileRejected(refusal)
            screen_file(staged, import_type=import_type, max_bytes=self.config.max_upload_bytes)
        except FileRejected as error:
            kept = folders.reject(root, staged, error.reason, datetime.now(UTC))
            staging.rmdir()
            rejected = {"file": name, "reason": error.reason, "kept": str(kept)}
            return self._upload_form(request, rejected=rejected, status_code=422)
        folder = watched_folder(import_type, dry_run)
        with self.engine.begin() as conn:
            # Placed before the row commits, but the sensor takes a file only once two of its
            # ticks saw it unchanged, so the row is there before it looks at the options.
            placed = folders.place_new(staged, root / folder.path, name)
            upload_id = uploads.record_upload(
                conn,
                folder=folder.path,
                file_name=placed.name,
                file_sha256=sha256,
                skip_duplicates=skip_duplicates,
            )
        staging.rmdir()
        return RedirectResponse(f"/upload?received={upload_id}", 303)

    def _refuse(self, request: Request, status: int, reason: str) -> Response:
        return self.templates.TemplateResponse(
            request, "refused.html", {"status": status, "reason": reason}, status_code=status
        )

    def _too_large(self, request: Request) -> Response:
        limit = self.config.max_upload_bytes
        reason = (
            f"The file is over the {limit:,}-byte limit (JOBSIMPORT_MAX_UPLOAD_BYTES); split it "
            "into smaller files and send those."
        )
        # The rest of the body is not read: the connection closes after this answer.
        response = self._refuse(request, 413, reason)
        response.headers["connection"] = "close"
        return response


def _counting(receive: Receive, limit: int) -> Receive:
    """`receive` that raises BodyTooLarge once the body has grown past `limit` bytes."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return counted


def _write(sent: UploadFile, target: Path) -> str:
    """Copy the sent file to `target` (mode 0666 less the umask); its sha256."""
    digest = hashlib.sha256()
    sent.file.seek(0)
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(handle, "wb") as out:
        while chunk := sent.file.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _pages(request: Request, total: int, offset: int) -> dict[str, str | int | None]:
    """Links to the previous and next page, keeping the other filters."""

    def at(new_offset: int) -> str:
        params = dict(request.query_params)
        params["offset"] = str(new_offset)
        return f"{request.url.path}?{urlencode(params)}"

    return {
        "first": offset + 1 if total else 0,
        "last": min(offset + PAGE_SIZE, total),
        "total": total,
        "previous": at(max(0, offset - PAGE_SIZE)) if offset > 0 else None,
        "next": at(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None,
    }


def console_routes(config: ConsoleConfig) -> list[BaseRoute]:
    return Console(config).routes()
