"""The adapters the pipeline knows, and the choice of one from a file's header (and name)."""

from collections.abc import Sequence

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.sources import letterboxd, netflix, netflix_activity, template
from jobsimport_dagster.sources.base import Adapter, clean_header
from jobsimport_dagster.sources.exports import EXPORTS, Export, member_label

# A new source is one module and one entry here. Within a family the adapter with the fewest
# required columns comes first: an unknown header is told that family's minimal header.
ADAPTERS: tuple[Adapter, ...] = (
    letterboxd.WATCHED,
    letterboxd.DIARY,
    letterboxd.RATINGS,
    letterboxd.REVIEWS,
    template.MOVIES_TEMPLATE,
    template.SHOWS_TEMPLATE,
    netflix.NETFLIX,
    netflix.NETFLIX_FILMS,
    netflix_activity.NETFLIX_ACTIVITY,
    netflix_activity.NETFLIX_ACTIVITY_FILMS,
)
_SHOWN_HEADER_CHARS = 120


def detect_adapter(header: Sequence[str], file_name: str, import_type: str) -> Adapter:
    """The adapter that reads this file as `import_type`, or `FileRejected` saying why none does.

    The header decides (a BOM and surrounding spaces are ignored); the file name only where a
    header is shared with exports that are not watch histories. Unknown extra columns are kept
    in the raw payload and never read.
    """
    columns = clean_header(header)
    named = [c for c in columns if c]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        raise FileRejected(
            f"The header repeats the column {', '.join(repeated)}; keep one of each."
        )
    for adapter in ADAPTERS:
        reason = adapter.refusal(columns, file_name)
        if reason:
            raise FileRejected(reason)
    matching = [a for a in ADAPTERS if a.matches(columns)]
    for adapter in matching:
        if adapter.type == import_type:
            return adapter
    if matching:
        other = matching[0]
        raise FileRejected(
            f"{file_name} is a {other.type} file ({other.label}), not {import_type}; "
            f"import it as {other.type} instead (drop it in the {other.type} folder)."
        )
    raise FileRejected(_unmatched_reason(columns, import_type))


def get_adapter(name: str, import_type: str) -> Adapter:
    """The adapter a job recorded as its `source`, to read its file again in a run."""
    for adapter in ADAPTERS:
        if adapter.name == name and adapter.type == import_type:
            return adapter
    raise KeyError(f"no {import_type} adapter is named {name!r}")


def get_export(name: str, import_type: str) -> Export:
    """The export a job of a dropped zip recorded as its `source`, to read the zip in a run."""
    for export in EXPORTS:
        if export.name == name and export.type == import_type:
            return export
    raise KeyError(f"no {import_type} export is named {name!r}")


def row_source(source: str, source_file: str) -> str:
    """The source of one row: the import's, or for a row of a CSV inside an export zip that
    CSV's own (watched.csv's rows of a Letterboxd export are `letterboxd-watched`)."""
    if not source_file:
        return source
    for export in EXPORTS:
        if export.name == source:
            for path, adapter in export.members:
                if member_label(path) == source_file:
                    return adapter.name
    return source


def _unmatched_reason(columns: list[str], import_type: str) -> str:
    """Name the missing columns of the closest format, or list the formats when none is close."""
    present = set(columns)
    candidates = [a for a in ADAPTERS if a.type == import_type]

    def closeness(adapter: Adapter) -> tuple[int, int]:
        required = set(adapter.required_columns)
        return len(required & present), -len(required - present)

    closest = max(candidates, key=closeness)
    if closeness(closest)[0] > 0:
        missing = [c for c in closest.required_columns if c not in present]
        return f"The header lacks {', '.join(missing)}, which a {closest.label} file needs."
    shown = ", ".join(columns)
    if len(shown) > _SHOWN_HEADER_CHARS:
        shown = shown[:_SHOWN_HEADER_CHARS] + "…"
    families: dict[str, Adapter] = {}
    for adapter in candidates:
        families.setdefault(adapter.family, adapter)
    expected = " or ".join(
        f"{family} ({', '.join(a.required_columns)})" for family, a in families.items()
    )
    return f"The header ({shown}) is not a known {import_type} format; expected {expected}."
