"""`codes.OUTCOMES` is exactly SPEC §7: every code, its status and whether it is retried."""

import pytest

from jobsimport_dagster.codes import OUTCOMES, RowCode, RowStatus, is_retryable

SPEC_SKIPPED = {
    "duplicate_in_file", "already_imported", "exists_in_api", "dry_run", "not_a_show",
    "not_a_viewing", "other_profile",
}  # fmt: skip
SPEC_PERMANENT = {
    "invalid_title", "invalid_date", "invalid_year", "invalid_imdb_id", "invalid_profile",
    "malformed_row", "not_found", "wrong_type", "ambiguous_match", "insert_rejected",
}  # fmt: skip
SPEC_RETRYABLE = {"omdb_budget_exhausted", "upstream_unavailable", "insert_failed"}


def test_every_spec_code_and_nothing_else() -> None:
    assert {str(c) for c in RowCode} == SPEC_SKIPPED | SPEC_PERMANENT | SPEC_RETRYABLE
    assert set(OUTCOMES) == set(RowCode)


@pytest.mark.parametrize(
    ("codes", "status", "retryable"),
    [
        (SPEC_SKIPPED, RowStatus.SKIPPED, False),
        (SPEC_PERMANENT, RowStatus.FAILED, False),
        (SPEC_RETRYABLE, RowStatus.FAILED, True),
    ],
)
def test_outcome_of_each_code(codes: set[str], status: RowStatus, retryable: bool) -> None:
    for code in codes:
        assert OUTCOMES[RowCode(code)].status == status, code
        assert is_retryable(code) is retryable, code


def test_no_code_is_not_retryable() -> None:
    assert is_retryable(None) is False
