"""Fenced code blocks of the Markdown docs, and how the doc test turns each into a script.

See ``test_doc_examples.py`` for the conventions (which blocks run, how, and how a block is
marked as not runnable).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import attrs

__all__ = [
    "RUNNABLE",
    "SHELL",
    "Block",
    "console_commands",
    "console_script",
    "doc_pages",
    "extract_blocks",
]

RUNNABLE = frozenset({"python", "sh", "bash", "console"})
SHELL = frozenset({"sh", "bash", "console"})

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*no-run:\s*(?P<body>.*?)\s*-->\s*$")
_INSTEAD = re.compile(r"^(?P<reason>.*?);\s*instead:\s*(?P<command>.+)$")


@attrs.frozen(kw_only=True)
class Block:
    """One fenced code block: where it is, its language and text, and its no-run marker."""

    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    source: str
    no_run: str | None = None  # the reason given by a ``<!-- no-run: ... -->`` marker
    instead: str | None = None  # a shell command the test runs in the block's place

    @property
    def runs(self) -> bool:
        """Whether the test runs this block (as itself or through its stand-in)."""
        return self.lang in RUNNABLE and (self.no_run is None or self.instead is not None)

    def where(self, root: Path) -> str:
        """``docs/cli.md:42``, relative to ``root``."""
        return f"{self.page.relative_to(root)}:{self.line}"


def doc_pages(root: Path) -> list[Path]:
    """README.md and every Markdown page under docs/, in a stable order."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def extract_blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page`` in order, with the marker on the line before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        info = opening["info"].strip()
        lang = info.split()[0].lower() if info else ""
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        else:
            raise ValueError(f"{page}:{i + 1}: a fenced block that is never closed")
        no_run, instead = _marker(lines, i)
        blocks.append(
            Block(
                page=page,
                line=i + 1,
                lang=lang,
                source="\n".join(body) + "\n",
                no_run=no_run,
                instead=instead,
            )
        )
        i = j + 1
    return blocks


def _marker(lines: list[str], fence: int) -> tuple[str | None, str | None]:
    """The no-run reason (and stand-in command) on the last non-blank line before ``fence``."""
    k = fence - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k < 0:
        return None, None
    found = _MARKER.match(lines[k])
    if found is None:
        return None, None
    body = found["body"]
    instead = _INSTEAD.match(body)
    if instead is not None:
        return instead["reason"].strip(), instead["command"].strip()
    return body, None


def console_commands(source: str) -> list[tuple[str, list[str]]]:
    """The ``$ command`` lines of a console transcript (continuations joined) with the output
    lines shown after each."""
    commands: list[tuple[str, list[str]]] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            if commands:
                commands[-1][1].append(line)
            i += 1
            continue
        parts = [line[2:]]
        while parts[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            parts.append(lines[i])
        commands.append(("\n".join(parts), []))
        i += 1
    return commands


def console_script(source: str) -> str:
    """A bash script running each command of a console transcript in turn.

    Each command must exit 0, unless the transcript shows ``$ echo $?`` right after it: then
    it must exit with the status printed there.
    """
    commands = console_commands(source)
    script = ["set +e"]
    k = 0
    while k < len(commands):
        command, _ = commands[k]
        expected = 0
        if k + 1 < len(commands) and commands[k + 1][0].strip() == "echo $?":
            shown = commands[k + 1][1]
            expected = int(shown[0].strip()) if shown else 0
            k += 1
        label = shlex.quote(command.splitlines()[0][:120])
        script.append(
            f"{{\n{command}\n}} </dev/null; __rc=$?\n"
            f'if [ "$__rc" -ne {expected} ]; then\n'
            f"  printf 'doc-test: exit status %s, the page shows {expected}: %s\\n' "
            f'"$__rc" {label} >&2\n'
            f"  exit 1\nfi"
        )
        k += 1
    return "\n".join(script) + "\n"
