"""CoNLL-2003 NER: ``train.conll`` with ``-DOCSTART- -X- -X- O`` before each document (row),
one ``token -X- -X- TAG`` line per token, a blank line after each sentence, IOB2 tags.

``dialect="spacy"`` writes the break as ``-DOCSTART- -X- O O``, the line ``spacy convert
--converter ner`` splits documents on (it reads the CoNLL-2003 line as a token)."""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport.formats import FormatContext, FormatOption, FormatSpec
from rowport_plugins.formats._text import write_rows_text

__all__ = ["SPEC", "ConllWriter"]

_DOCSTART = {"conll2003": "-DOCSTART- -X- -X- O\n\n", "spacy": "-DOCSTART- -X- O O\n\n"}


class ConllWriter:
    """Appends each text row as a CoNLL document."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.file = context.open("train.conll")
        self.docstart = _DOCSTART[context.options["dialect"]]

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's document."""
        for tagged in write_rows_text(self.context, rows):
            out = [self.docstart]
            words = tagged.words()
            for sentence in tagged.sentences:
                out.extend(f"{words[i]} -X- -X- {tagged.tags[i]}\n" for i in sentence)
                out.append("\n")
            self.file.write("".join(out))
            self.context.wrote()

    def finish(self) -> None:
        """Nothing to complete: the context closes the file."""


SPEC = FormatSpec(
    name="conll",
    summary="CoNLL-2003 NER columns with -DOCSTART- document breaks and IOB2 tags",
    media_types=("text",),
    annotation_kinds=("TextEntity",),
    layout=("train.conll", "lossiness.json"),
    writer=ConllWriter,
    options=(
        FormatOption(
            name="dialect",
            default="conll2003",
            choices=("conll2003", "spacy"),
            help="conll2003: document breaks as -DOCSTART- -X- -X- O; spacy: as"
            " -DOCSTART- -X- O O, which `spacy convert --converter ner` reads as a break.",
        ),
    ),
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the CoNLL-2003 format."""
    register(SPEC)
