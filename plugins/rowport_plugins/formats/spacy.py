"""spaCy ``DocBin`` files (``train-00000.spacy``...), written in shards of ``docs_per_file``
documents so memory stays flat. Tokens, sentences and entities are those of the CoNLL format,
so both read back into the same documents. Needs the ``rowport[spacy]`` extra."""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport.formats import FormatContext, FormatOption, FormatSpec
from rowport_plugins.formats._text import write_rows_text

__all__ = ["SPEC", "DocBinWriter"]


class DocBinWriter:
    """Builds spaCy docs and writes a DocBin every ``docs_per_file`` documents."""

    def __init__(self, context: FormatContext) -> None:
        import spacy
        from spacy.tokens import DocBin

        self.context = context
        self.vocab = spacy.blank(context.options["language"]).vocab
        self.doc_bin_type = DocBin
        self.docs: list[Any] = []
        self.shard = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Add each row's document."""
        from spacy.tokens import Doc, Span

        for tagged in write_rows_text(self.context, rows):
            words = tagged.words()
            spaces = [
                end < len(tagged.text)
                and tagged.text[end].isspace()
                and (i + 1 == len(tagged.tokens) or tagged.tokens[i + 1][0] > end)
                for i, (_, end) in enumerate(tagged.tokens)
            ]
            starts = [False] * len(words)
            for sentence in tagged.sentences:
                starts[sentence[0]] = True
            doc = Doc(self.vocab, words=words, spaces=spaces, sent_starts=starts)
            doc.ents = [
                Span(doc, first, last + 1, label=label) for first, last, label in tagged.entities
            ]
            self.docs.append(doc)
            self.context.wrote()
            if len(self.docs) >= self.context.options["docs_per_file"]:
                self._flush()

    def _flush(self) -> None:
        if not self.docs and self.shard:
            return
        doc_bin = self.doc_bin_type(attrs=["ORTH", "SPACY", "ENT_IOB", "ENT_TYPE", "SENT_START"])
        for doc in self.docs:
            doc_bin.add(doc)
        doc_bin.to_disk(self.context.directory / f"train-{self.shard:05d}.spacy")
        self.shard += 1
        self.docs = []

    def finish(self) -> None:
        """Write the last shard."""
        self._flush()


SPEC = FormatSpec(
    name="spacy",
    summary="spaCy DocBin (.spacy) with entities and sentences (needs rowport[spacy])",
    media_types=("text",),
    annotation_kinds=("TextEntity",),
    layout=("train-00000.spacy, train-00001.spacy, ...", "lossiness.json"),
    writer=DocBinWriter,
    options=(
        FormatOption(
            name="docs_per_file",
            type=int,
            default=10_000,
            help="Documents per .spacy file (a DocBin is held in memory until written).",
        ),
        FormatOption(name="language", default="en", help="The spaCy language of the vocab."),
    ),
    requires={"spacy": "rowport[spacy]"},
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the spaCy DocBin format."""
    register(SPEC)
