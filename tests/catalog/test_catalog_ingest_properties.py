"""Property-based ingest: any mutation of a valid row loads or is refused by line, never a crash.

Mutations swap types, drop and add keys, go out of range, use huge integers and nest garbage,
anywhere in a labelled row. Example counts are kept small (a few seconds in all).
"""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_rows import labelled_row

from rowport import Client
from rowport.errors import RowportError

settings.register_profile(
    "ingest",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = settings.get_profile("ingest")

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _fresh() -> dict[str, Any]:
    """A valid row whose global key no earlier example used."""
    row = labelled_row(0)
    row["data_row"]["global_key"] = row["data_row"]["id"]
    return row


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``node`` (dict keys and list indexes)."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*path, i))
    return out


@st.composite
def mutated_rows(draw: st.DrawFn) -> dict[str, Any]:
    """A valid labelled row with one to three mutations at random paths."""
    row = labelled_row(draw(st.integers(min_value=0, max_value=10**6)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(row) if p]
        path = draw(st.sampled_from(paths))
        parent: Any = row
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "drop", "add", "huge", "nest"]))
        key = path[-1]
        if action == "replace":
            parent[key] = draw(JSON)
        elif action == "drop":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(JSON)
        elif action == "huge":
            parent[key] = draw(st.sampled_from([2**63, -(2**63) - 1, 2**64 - 1, 10**30, -1]))
        else:
            parent[key] = {"x": [parent[key], draw(JSON)]}
    return row


def _dump(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(home / "catalog.db")
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


@settings(PROFILE)
@given(row=mutated_rows())
def test_any_mutation_loads_or_is_refused_with_its_line(
    client: Client, row: dict[str, Any]
) -> None:
    good = _fresh()
    try:
        report = client.import_rows([good, row, json.dumps(row)])
    except RowportError as exc:  # documented errors only; anything else fails the test
        raise AssertionError(f"an import raised {exc!r}") from exc
    assert report.lines == 3
    assert report.loaded + report.updated + report.unchanged + report.failed == 3
    assert all(e.line in (2, 3) for e in report.errors), report.errors
    assert all(e.reason for e in report.errors)
    assert client.get_data_row(good["data_row"]["id"]).uid == good["data_row"]["id"]


@settings(PROFILE)
@given(row=mutated_rows())
def test_a_strict_import_that_fails_leaves_the_catalog_byte_identical(
    client: Client, row: dict[str, Any]
) -> None:
    client.import_rows([_fresh()])
    before = _dump(client.home)
    bad = copy.deepcopy(row)
    bad["data_row"] = {"row_data": 1}  # whatever else the mutation did, this line is refused
    report = client.import_rows([_fresh(), row, bad], strict=True, batch_size=1)
    assert (report.committed, report.loaded) == (False, 0)
    assert report.errors and report.errors[-1].line == 3
    assert _dump(client.home) == before
