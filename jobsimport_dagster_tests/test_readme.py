"""The README's GraphQL examples are valid against Dagster's schema (e2e/ runs them for real)."""

import ast
import json
import re

import pytest
from dagster_graphql.schema import create_schema
from graphql import parse, validate

from jobsimport_dagster_tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
SAMPLE = {"KEY": "movies-20241124T101500-diary-0a1b2c3d", "RUN_ID": "0" * 36}


def graphql_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert "\n## GraphQL\n" in text
    return text.split("\n## GraphQL\n", 1)[1].split("\n## ", 1)[0]


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", graphql_section(), flags=re.S)


def curl_examples() -> list[str]:
    """The `sh` blocks that send a request (the first block only sets variables)."""
    return [block for block in code_blocks("sh") if "curl" in block]


def request_body(block: str, variables: dict[str, str]) -> dict:
    """The JSON a curl example sends, with the shell's variables put in as bash would."""
    body = block.split("<<EOF\n", 1)[1].split("\nEOF", 1)[0]
    for name, value in variables.items():
        body = body.replace(f"${name}", value)
    return json.loads(body)


@pytest.fixture(scope="module")
def schema():
    return create_schema().graphql_schema


def test_readme_shows_launch_status_and_retry_with_curl_and_python() -> None:
    curl = "\n".join(curl_examples())
    for mutation in ("launchRun(", "launchRunReexecution(", "launchPartitionBackfill("):
        assert mutation in curl
    assert "runsOrError(" in curl and "assetMaterializations(" in curl
    (python,) = code_blocks("python")
    assert "launchRun(" in python and "launchRunReexecution(" in python


def test_readme_reads_the_failed_rows_and_the_partition_statuses() -> None:
    # The failed rows' contents, not only their label (issue 10, item 7).
    curl = "\n".join(curl_examples())
    (python,) = code_blocks("python")
    for text in (curl, python):
        assert "... on TableMetadataEntry { table { records } }" in text
        assert "... on MarkdownMetadataEntry { mdStr }" in text
    assert 'entries["failed_rows_table"]["table"]["records"]' in python
    # The four outcomes as the UI tells them apart (SPEC §9).
    assert "assetPartitionStatuses" in curl and "failedPartitions" in curl
    assert 'assetCheckOrError(checkName: \\"no_failed_rows\\")' in curl
    assert "assetObservations(" in curl


@pytest.mark.parametrize("index", range(len(curl_examples())))
def test_each_curl_example_is_a_valid_dagster_request(schema, index: int) -> None:
    query = request_body(curl_examples()[index], SAMPLE)["query"]
    assert validate(schema, parse(query)) == []


def python_queries() -> list[str]:
    """The documents the Python example sends: each `graphql(...)` call's first argument."""
    (python,) = code_blocks("python")
    return [
        node.args[0].value
        for node in ast.walk(ast.parse(python))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "graphql"
        and isinstance(node.args[0], ast.Constant)
    ]


def test_each_python_example_query_is_valid(schema) -> None:
    queries = python_queries()
    assert len(queries) == 6
    for query in queries:
        assert validate(schema, parse(query)) == []
