"""``context.batch``: what plugins share about one batch's rows, emptied once every plugin saw
the batch; the media toolkit's ``iter_labels(row, context)`` lists a row's labels once per
batch for every plugin that asks."""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport.plugins._model import ErrorPolicy
from rowport.plugins._step import PluginStep
from rowport.testing import make_row, run_plugin
from rowport_plugins._media import iter_labels


class Lists:
    """Lists each row's labels through the toolkit, and records what ``context.batch`` held."""

    def __init__(self, seen: list[tuple[str, Any, set[str]]], name: str) -> None:
        self.seen, self.name = seen, name

    @hookimpl
    def rowport_validate_rows(self, rows: list[dict[str, Any]], context: Any) -> None:
        before = set(context.batch)
        for row in rows:
            self.seen.append((self.name, iter_labels(row, context), before))


class ListsToo(Lists):
    pass


def _row_with_label(label_id: str) -> dict[str, Any]:
    return make_row(
        "image",
        projects={"p": {"name": "p", "labels": [{"id": label_id, "annotations": {}}]}},
    )


def test_labels_are_listed_once_per_batch_and_the_batch_state_is_emptied(
    make_host: Any, ctx: Any
) -> None:
    seen: list[tuple[str, Any, set[str]]] = []
    step = PluginStep(make_host(Lists(seen, "a"), ListsToo(seen, "b")), ErrorPolicy())
    first = [_row_with_label("l1")]
    step(first, ctx)
    (_, listed_a, before_a), (_, listed_b, before_b) = sorted(seen, key=lambda s: s[0])
    assert listed_a is listed_b  # one list for both plugins
    assert [label["id"] for *_, label in listed_a] == ["l1"]
    assert listed_a == iter_labels(first[0])  # what a call without the context lists
    assert sorted([before_a, before_b], key=len) == [set(), {"rowport_plugins.labels"}]
    assert ctx.batch == {}  # emptied once the batch went through every plugin
    seen.clear()
    step([_row_with_label("l2")], ctx)
    assert [[label["id"] for *_, label in listed] for _, listed, _ in seen] == [["l2"]] * 2
    assert sorted((before for *_, before in seen), key=len) == [set(), {"rowport_plugins.labels"}]


def test_a_listing_kept_for_another_row_under_the_same_id_is_not_used(ctx: Any) -> None:
    """The listing is kept with its row: a row made after another died may get its id."""
    row, other = _row_with_label("mine"), _row_with_label("other")
    ctx.batch["rowport_plugins.labels"] = {id(row): (other, iter_labels(other))}
    assert [label["id"] for *_, label in iter_labels(row, ctx)] == ["mine"]


def test_run_plugin_empties_the_batch_state_after_each_batch(ctx: Any) -> None:
    seen: list[tuple[str, Any, set[str]]] = []
    run_plugin(Lists(seen, "a"), [_row_with_label("l1")], context=ctx)
    assert ctx.batch == {}
    run_plugin(Lists(seen, "a"), [_row_with_label("l2")], context=ctx)
    assert [[label["id"] for *_, label in listed] for _, listed, _ in seen] == [["l1"], ["l2"]]
