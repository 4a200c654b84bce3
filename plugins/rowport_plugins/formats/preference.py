"""Preference pairs: ``preferences.jsonl``, one ``{"prompt", "chosen", "rejected"}`` per pair.

The preference is a message-scoped radio classification (the ``classification`` option,
default ``preference``) on the candidate responses: answers ``chosen`` / ``rejected``
(pairwise), or ranks ``1``, ``2``, ... (1 is best; every better/worse pair is written).
``prompt`` is the conversation before the first candidate; ``chosen`` and ``rejected`` are
one-message lists.
"""

from __future__ import annotations

from typing import Any

import orjson

from rowport import hookimpl
from rowport.formats import FormatContext, FormatOption, FormatSpec
from rowport_plugins.formats._chat import ROLES_OPTION, messages

__all__ = ["SPEC", "PreferenceWriter"]

_RANKS = {"chosen": 0, "rejected": 1}


def _rank(value: str) -> int | None:
    value = value.strip().lower()
    return _RANKS.get(value, int(value) if value.isdigit() else None)


class PreferenceWriter:
    """Appends the pairs of each conversation."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.file = context.open("preferences.jsonl", "wb")

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's pairs."""
        context = self.context
        wanted = context.options["classification"]
        for row in rows:
            selected = context.select(row)
            if selected is None:
                continue
            found = messages(context, selected)
            if found is None:
                continue
            ranks: dict[str, int] = {}
            kept = []
            for c in (selected.annotations or {}).get("classifications") or ():
                answer = c.get("conversational_radio_answer") or c.get("radio_answer") or {}
                rank = _rank(str(answer.get("value") or answer.get("name") or ""))
                if c.get("name") == wanted and c.get("message_id") and rank is not None:
                    ranks[str(c["message_id"])] = rank
                else:
                    kept.append(c)
            if kept:
                context.lose("classification_dropped", selected.row_id, count=len(kept))
            if len(ranks) < 2:
                context.lose(
                    "row_unreadable_skipped", selected.row_id, f"no {wanted!r} pair in the labels"
                )
                continue
            position = {m["id"]: i for i, m in enumerate(found)}
            candidates = sorted((position[m], m) for m in ranks if m in position)
            prompt = [
                {"role": m["role"], "content": m["content"]} for m in found[: candidates[0][0]]
            ]
            for _, better in candidates:
                for _, worse in candidates:
                    if ranks[better] < ranks[worse]:
                        pick = {i: found[position[i]] for i in (better, worse)}
                        line = {
                            "prompt": prompt,
                            "chosen": [
                                {"role": pick[better]["role"], "content": pick[better]["content"]}
                            ],
                            "rejected": [
                                {"role": pick[worse]["role"], "content": pick[worse]["content"]}
                            ],
                            "data_row_id": selected.row_id,
                        }
                        self.file.write(orjson.dumps(line) + b"\n")
            context.wrote()

    def finish(self) -> None:
        """Nothing to complete: the context closes the file."""


SPEC = FormatSpec(
    name="preference",
    summary="Preference pairs (prompt, chosen, rejected) from a pairwise or ranking answer",
    media_types=("conversational",),
    annotation_kinds=("message radio answers: chosen/rejected or ranks",),
    layout=("preferences.jsonl", "lossiness.json"),
    writer=PreferenceWriter,
    options=(
        FormatOption(
            name="classification",
            default="preference",
            help="The message-scoped radio classification holding the preference.",
        ),
        ROLES_OPTION,
    ),
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the preference pairs format."""
    register(SPEC)
