"""Insert: the SPEC §8 bodies of `POST /movies` and `POST /shows`, and the record id they return."""

import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.omdb import OmdbTitle
from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db import claims, viewings
from jobsimport_dagster.errors import InsertFailed, InsertRejected, UpstreamUnavailable
from jobsimport_dagster.models import StepSummary
from jobsimport_dagster.steps import dedupe
from jobsimport_dagster.steps.pool import LATER, Later

SHOW_STATUS = "Started"

# A row whose viewing claim says so is not posted (not yet, or never).
_NOT_GOING_ON = (viewings.ClaimVerdict.WAIT, viewings.ClaimVerdict.IMPORTED)


def api_date(viewing_date: str) -> str:
    """`YYYY-MM-DD` as the API's `YYYY-MM-DDT00:00:00.000Z`: the file's date, never invented."""
    return f"{date.fromisoformat(viewing_date).isoformat()}T00:00:00.000Z"


def _details(match: OmdbTitle) -> dict[str, Any]:
    """The fields both bodies take from the provider; unknown text is "", unknown year 0."""
    return {
        "description": match.plot or "",
        "language": match.language or "",
        "genre": match.genre or "",
        "year": match.year or 0,
        "imdbRating": match.imdb_rating,
        "imdbId": match.imdb_id,
        "posterUrl": match.poster,
        "tmdbId": None,
        "loved": True,
    }


def build_movie_payload(seed: Mapping[str, Any], match: OmdbTitle) -> dict[str, Any]:
    """`POST /movies`: the provider's title and details, the viewing date from the file."""
    return {
        "title": match.title,
        **_details(match),
        "viewingDate": api_date(seed["viewing_date"]),
    }


def build_show_payload(seed: Mapping[str, Any], match: OmdbTitle) -> dict[str, Any]:
    """`POST /shows`: one record per season, titled `<show> Season <n>` with OMDb's show name."""
    season = int(seed["season"])
    return {
        "title": f"{match.title} Season {season}",
        "seasonNumber": season,
        "showName": match.title,
        **_details(match),
        "startedDate": api_date(seed["viewing_date"]),
        "status": SHOW_STATUS,
    }


def build_payload(import_type: str, seed: Mapping[str, Any]) -> dict[str, Any]:
    """The SPEC §8 body of an enriched row (its seed plus the accepted title in `match`)."""
    match = OmdbTitle(**seed["match"])
    builder = build_movie_payload if import_type == "movies" else build_show_payload
    return builder(seed, match)


class _Catalogue:
    """The run's view of the catalogue: its one read (`records`), refreshed by a fresh GET only
    to settle a POST that may have arrived."""

    def __init__(
        self, client: CatalogueClient, import_type: str, records: Sequence[Mapping[str, Any]]
    ) -> None:
        self._client = client
        self._movies = import_type == "movies"
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._created: dict[tuple[str, str], str] = {}
        self._index = self._indexed(records)
        self._read_at = float("-inf")  # when the read in use started (the run's one: unknown)

    def refresh(self) -> None:
        started = time.monotonic()
        listed = self._client.list_movies() if self._movies else self._client.list_shows()
        index = self._indexed(listed)
        with self._lock:
            self._index = index
            self._read_at = max(self._read_at, started)

    def read_since(self, moment: float) -> None:
        """Make sure the view was read after `moment` (one GET serves every waiting worker)."""
        with self._refreshing:
            if self._read_at < moment:
                self.refresh()

    def _indexed(
        self, records: Sequence[Mapping[str, Any]]
    ) -> dedupe.MovieCatalogue | dedupe.ShowCatalogue:
        return dedupe.index_movies(records) if self._movies else dedupe.index_shows(records)

    def find(self, body: Mapping[str, Any]) -> str | None:
        """The id of a record with this body's IMDb ID and date (or season), if any."""
        key = self._key(body)
        with self._lock:
            if key in self._created:
                return self._created[key]
            index = self._index
        if self._movies:
            match = dedupe.find_movie(
                index, imdb_id=body["imdbId"], viewing_date=body["viewingDate"][:10]
            )
        else:
            match = dedupe.find_show(index, imdb_id=body["imdbId"], season=body["seasonNumber"])
        return None if match is None else (match.record_id or "")

    def create(self, body: Mapping[str, Any]) -> str:
        if self._movies:
            record_id = self._client.create_movie(body=body)
        else:
            record_id = self._client.create_show(body=body)
        with self._lock:
            self._created[self._key(body)] = record_id
        return record_id

    def _key(self, body: Mapping[str, Any]) -> tuple[str, str]:
        date_or_season = body["viewingDate"][:10] if self._movies else str(body["seasonNumber"])
        return (str(body.get("imdbId") or "").lower(), date_or_season)


def _post_once(catalogue: _Catalogue, body: Mapping[str, Any], *, attempts: int) -> str:
    """POST, and after a POST that may have arrived, GET before sending again: never twice."""
    for _ in range(attempts):
        try:
            return catalogue.create(body)
        except InsertFailed as error:
            if not error.maybe_arrived:
                raise
            catalogue.refresh()
            record_id = catalogue.find(body)
            if record_id is not None:
                return record_id
    raise InsertFailed(f"the API did not confirm '{body['title']}' after {attempts} attempts")


class Insertion:
    """A run's inserts, one row at a time as the workers bring them enriched. Thread-safe.

    A row is `processing` before its POST and gets its `target_record_id` (and its accepted
    title and body) right after; a row found `processing` (an earlier run died) or already
    in the catalogue with the same IMDb ID and date is not posted again. Rows enriched by an
    earlier run are claimed a chunk at a time (`take`); rows enriched in this run are claimed
    in batches as they come (`admit`), and a row that waited on another import on its own,
    right before its POST. In a dry run a row keeps its would-be body and is
    skipped. `read_catalogue` gives the run's one read of the catalogue.

    Unless duplicates are wanted (`skip_duplicates` off) or nothing is posted (a dry run), a
    row first claims its viewing (`db.viewings`): one that another import is posting waits for
    it (`post` answers LATER), and is skipped `already_imported` if that row succeeds.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        job_id: uuid.UUID,
        import_type: str,
        dry_run: bool,
        skip_duplicates: bool,
        client: CatalogueClient,
        read_catalogue: Callable[[], Sequence[Mapping[str, Any]]],
        was_processing: set[uuid.UUID],
        attempts: int = 6,
    ) -> None:
        self._engine = engine
        self._job_id = job_id
        self._import_type = import_type
        self._dry_run = dry_run
        self._claims_viewings = skip_duplicates and not dry_run
        self._was_processing = was_processing
        self._attempts = attempts
        self._catalogue = None if dry_run else _Catalogue(client, import_type, read_catalogue())
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._rows_in = 0
        # Viewings claimed with their chunk, by row id: (when, what was found), taken by `post`.
        self._chunk_claims: dict[uuid.UUID, tuple[float, viewings.ViewingClaim]] = {}

    def take(self, chunk: list[claims.OpenRow]) -> list[claims.ClaimedRow]:
        """Rows enriched by an earlier run, marked `processing` (a dry run only reads them),
        with payloads, and (unless duplicates are wanted) their viewings claimed."""
        if not chunk:
            return []
        ids = [r.id for r in chunk]
        with self._engine.begin() as conn:
            if self._dry_run:
                payloads = claims.payloads_of(conn, ids)
            else:
                payloads = claims.claim_for_insert(conn, self._job_id, ids)
            taken = [r.with_payload(payloads[r.id]) for r in chunk if r.id in payloads]
            claimed_at = time.monotonic()
            found = self._claim_viewings(conn, taken)
        self._chunk_claims.update({row_id: (claimed_at, c) for row_id, c in found.items()})
        return taken

    def admit(self, rows: list[claims.ClaimedRow]) -> list[claims.ClaimedRow]:
        """Rows enriched in this run, about to be posted: their viewings claimed (unless
        duplicates are wanted), then those going on marked `processing`, in one transaction.
        Rows that wait or were imported keep their state; rows no longer open (another run
        of this import settled them) are dropped."""
        if self._dry_run or not rows:
            return rows
        with self._engine.begin() as conn:
            claimed_at = time.monotonic()
            found = self._claim_viewings(conn, rows)
            going_on = {r.id for r in rows if found[r.id].verdict not in _NOT_GOING_ON}
            claimed = claims.claim_enriched(conn, self._job_id, going_on)
        kept = [r for r in rows if r.id in claimed or r.id not in going_on]
        self._chunk_claims.update({r.id: (claimed_at, found[r.id]) for r in kept})
        return kept

    def post(self, row: claims.ClaimedRow) -> claims.RowUpdate | Later | None:
        """POST the row's body once, or say why not: its update, LATER while another import
        posts its viewing, or None when the row is no longer this run's to do."""
        body = build_payload(self._import_type, row.normalized_payload)
        payload = {**row.normalized_payload, "body": body}
        if self._catalogue is None:
            message = "dry run: not posted"
            return self._done(row, RowStatus.SKIPPED, RowCode.DRY_RUN, message, payload)
        made = self._chunk_claims.pop(row.id, None) or self._claim(row)
        if made is None:
            return None
        claimed_at, claim = made
        if claim.verdict is viewings.ClaimVerdict.WAIT:
            return LATER
        if claim.verdict is viewings.ClaimVerdict.IMPORTED:
            message = (
                f"'{body['title']}' was imported by import {claim.holder_partition_key}"
                f" (line {claim.holder_line})."
            )
            return self._done(row, RowStatus.SKIPPED, RowCode.ALREADY_IMPORTED, message, payload)
        if claim.verdict is viewings.ClaimVerdict.TAKEN_OVER:
            # The viewing was another row's, which failed or whose run died (maybe after its
            # POST arrived): only a read made after this moment can tell. A record found then
            # is `exists_in_api`, unless this row was itself in flight when its own run died:
            # then, as for any such row, the record is taken as its own.
            self._catalogue.read_since(claimed_at)
        existing = self._catalogue.find(body)
        if existing is not None and row.id not in self._was_processing:
            message = f"'{body['title']}' is already in the catalogue."
            return self._done(
                row, RowStatus.SKIPPED, RowCode.EXISTS_IN_API, message, payload, existing or None
            )
        try:
            record_id = (
                existing
                if existing is not None
                else _post_once(self._catalogue, body, attempts=self._attempts)
            )
        except (InsertRejected, InsertFailed, UpstreamUnavailable) as error:
            code = (
                error.code if not isinstance(error, UpstreamUnavailable) else RowCode.INSERT_FAILED
            )
            return self._done(row, RowStatus.FAILED, code, str(error), payload)
        return self._done(row, RowStatus.SUCCESS, None, None, payload, record_id)

    def release(self, unstarted: list[claims.ClaimedRow]) -> None:
        """Rows claimed for insert whose POST never started go back to `pending` (a terminated
        run); rows in flight when an earlier run died stay `processing`."""
        with self._engine.begin() as conn:
            claims.release(conn, [r.id for r in unstarted if r.id not in self._was_processing])

    def summary(self, seconds: float) -> StepSummary:
        with self._lock:
            return StepSummary(
                step="insert", rows_in=self._rows_in, counts=dict(self._counts), seconds=seconds
            )

    def _claim(self, row: claims.ClaimedRow) -> tuple[float, viewings.ViewingClaim] | None:
        """A row's own claim after it waited on another import: `admit` for one row. None
        when the row is no longer open (another run of this import settled it)."""
        claimed_at = time.monotonic()
        with self._engine.connect() as conn:
            claim = self._claim_viewings(conn, [row])[row.id]
            going_on = claim.verdict not in _NOT_GOING_ON
            if going_on and not claims.claim_enriched(conn, self._job_id, [row.id]):
                conn.rollback()  # and give up the viewing claimed for it
                return None
            conn.commit()
        return claimed_at, claim

    def _claim_viewings(
        self, conn: sa.Connection, rows: list[claims.ClaimedRow]
    ) -> dict[uuid.UUID, viewings.ViewingClaim]:
        """Each row's viewing claimed, or held without a claim when duplicates are wanted."""
        if not self._claims_viewings:
            return {r.id: viewings.ViewingClaim(viewings.ClaimVerdict.HELD) for r in rows}
        wanted = {r.id: self._keys_of(r) for r in rows}
        return viewings.claim_viewings(conn, job_id=self._job_id, wanted=wanted)

    def _keys_of(self, row: claims.ClaimedRow) -> list[str]:
        seed = row.normalized_payload
        return viewings.viewing_keys(
            self._import_type,
            dedupe_key=row.dedupe_key,
            imdb_id=seed["match"]["imdb_id"],
            date_or_season=str(seed["season"]) if "season" in seed else seed["viewing_date"],
        )

    def _done(
        self,
        row: claims.ClaimedRow,
        status: RowStatus,
        code: RowCode | None,
        message: str | None,
        payload: dict[str, Any],
        record_id: str | None = None,
    ) -> claims.RowUpdate:
        with self._lock:
            self._rows_in += 1
            name = "success" if code is None else str(code)
            self._counts[name] = self._counts.get(name, 0) + 1
        return claims.RowUpdate(
            id=row.id,
            status=status,
            error_code=code,
            error_message=message,
            normalized_payload=payload,
            target_record_id=record_id,
        )
