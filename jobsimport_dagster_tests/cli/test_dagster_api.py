"""The GraphQL commands' tables: padded columns, numbers right-aligned."""

import pytest

from jobsimport_dagster.cli.dagster_api import render_table


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # text left, numbers right, None blank
        ([["movies-a", 319, None], ["m", 2, "SUCCESS"]],
         ["KEY       ROWS  RUN",
          "--------  ----  -------",
          "movies-a   319",
          "m            2  SUCCESS"]),
        # no rows: the header and its rule
        ([], ["KEY  ROWS  RUN", "---  ----  ---"]),
        # a header wider than its cells
        ([["k", 1, "r"]], ["KEY  ROWS  RUN", "---  ----  ---", "k       1  r"]),
    ],
)  # fmt: skip
def test_render_table(rows: list[list[object]], expected: list[str]) -> None:
    assert render_table(["KEY", "ROWS", "RUN"], rows).splitlines() == expected
