"""Exceptions raised at the I/O edges; each upstream error carries the row code it leads to."""

from jobsimport_dagster.codes import RowCode


class JobsimportError(Exception):
    """Base of every error this project raises on purpose."""


class FileRejected(JobsimportError):
    """A dropped file cannot be imported; the message is the `.error.txt` sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MissingCredential(JobsimportError):
    """A run needs a secret it lacks, or the upstream refused it (401): stop taking rows."""

    def __init__(self, variable: str, detail: str = "") -> None:
        message = f"{variable} is missing or was refused"
        super().__init__(f"{message}: {detail}" if detail else message)
        self.variable = variable


class UpstreamError(JobsimportError):
    """An upstream answer that ends a row; `code` is the row code it becomes."""

    code: RowCode = RowCode.UPSTREAM_UNAVAILABLE


class UpstreamUnavailable(UpstreamError):
    """Timeouts, 5xx, 429 or connection errors that outlived the retries."""

    code = RowCode.UPSTREAM_UNAVAILABLE


class BudgetExhausted(UpstreamError):
    """The day's OMDb budget is spent, or OMDb said its limit is reached."""

    code = RowCode.OMDB_BUDGET_EXHAUSTED


class InsertRejected(UpstreamError):
    """api.ashish.me answered a 4xx other than 401/403/408/429."""

    code = RowCode.INSERT_REJECTED

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"the API answered {status}: {message}")
        self.status = status


class InsertFailed(UpstreamError):
    """A POST that may or may not have arrived and could not be settled by a fresh GET.

    `maybe_arrived`: the API may have stored the record (timeout, 5xx, reset connection), so
    the caller must look for it with a fresh GET before sending it again.
    """

    code = RowCode.INSERT_FAILED

    def __init__(self, message: str, *, maybe_arrived: bool = True) -> None:
        super().__init__(message)
        self.maybe_arrived = maybe_arrived


class DagsterApiError(JobsimportError):
    """Dagster's GraphQL API could not be reached, refused the token, or answered an error."""


class DagsterUnreachable(DagsterApiError):
    """Nothing answers at the web server's address: the system is not running there."""

    def __init__(self, base_url: str) -> None:
        super().__init__(f"nothing answers at {base_url}")
        self.base_url = base_url


class UnknownPartition(DagsterApiError):
    """Partition keys that `import_files` does not have: nothing was launched for any of them."""

    def __init__(self, partition_keys: list[str]) -> None:
        keys = ", ".join(partition_keys)
        super().__init__(f"not a partition of import_files: {keys}; nothing was launched")
        self.partition_keys = partition_keys
