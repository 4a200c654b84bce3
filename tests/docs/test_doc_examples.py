"""Every example in README.md and docs/**/*.md runs as written.

How the examples are run
------------------------
- Each page runs on its own, in a fresh temporary directory (the working directory of every
  block), with ``ROWPORT_HOME=<tmp>/.rowport``, ``ROWPORT_OFFLINE=1`` (no media is fetched
  from the internet), the interpreter's ``bin/`` (``.venv/bin``) first on ``PATH``, and
  ``<tmp>/.venv`` linked to that virtualenv, so ``.venv/bin/rowport`` and
  ``source .venv/bin/activate`` work as on a fresh clone after ``make demo``.
- The blocks of a page run in page order, so a block gets its setup from the blocks above it.
- ```` ```python ```` blocks of one page share one interpreter and one namespace.
- ```` ```sh ```` and ```` ```bash ```` blocks of one page share one bash session (variables
  and ``cd`` carry over) and run with ``set -e -o pipefail``: every command must succeed.
- ```` ```console ```` blocks are transcripts: each ``$ command`` (``\\`` continues it) runs in
  that bash session and must exit 0, unless the transcript shows ``$ echo $?`` right after
  it, in which case it must exit with the status printed below that. Lines without ``$ ``
  are output and are not compared.
- ``text``, ``json``, ``toml`` (and the other languages in ``NOT_RUN``) are not run; every
  fence must name its language, and a language the test does not know (``shell``, ``py``)
  is refused rather than silently skipped.

Marking a block as not runnable
-------------------------------
A runnable block that cannot run here is marked on the line before its fence, visibly in the
Markdown source::

    <!-- no-run: why this block cannot run in the test -->

A block whose effect later blocks need names a stand-in command that the test runs in its
place (for instance ``make demo``, which bootstraps a virtualenv with pip)::

    <!-- no-run: bootstraps .venv with pip; instead: rowport demo --bulk-rows 0 -->

Keep these few: output samples belong in ```` ```text ```` blocks, not in marked ones.

Writing examples that run
-------------------------
- No placeholders: a page builds what it needs in an early block (a small catalog in a home of
  its own, removed first so the page can run again; ``rowport.testing.build_catalog``; or
  ``rowport demo``), and shell blocks take ids from ``rowport ls KIND --ids`` into variables.
- No network: URLs may appear as row data (media is not fetched: ``ROWPORT_OFFLINE=1``), but a
  webhook or any other service an example must reach is a ``no-run`` block.
- A failure names the block as ``page.md:LINE``; Python tracebacks carry the Markdown page's
  own line numbers. ``pytest tests/docs -k cli.md`` runs one page.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from docblocks import RUNNABLE, Block, doc_pages, extract_blocks
from docsession import BlockFailed, DocSession

ROOT = Path(__file__).resolve().parents[2]
PAGES = doc_pages(ROOT)
VENV = Path(sys.prefix)
# marked blocks are reviewed exceptions; a new one should be a deliberate change here
MAX_NO_RUN = 8


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _environment(workdir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ROWPORT_") and key not in ("VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(
        ROWPORT_HOME=str(workdir / ".rowport"),
        ROWPORT_OFFLINE="1",
        PATH=f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        COLUMNS="100",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@pytest.fixture
def session(tmp_path: Path) -> Iterator[DocSession]:
    workdir = tmp_path / "page"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(VENV, target_is_directory=True)
    doc = DocSession(root=ROOT, workdir=workdir, env=_environment(workdir))
    try:
        yield doc
    finally:
        doc.close()


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_example_of_the_page_runs(page: Path, session: DocSession) -> None:
    blocks = [block for block in extract_blocks(page) if block.runs]
    if not blocks:
        pytest.skip("no runnable example on this page")
    for block in blocks:
        session.run(block)


def _all_blocks() -> list[Block]:
    return [block for page in PAGES for block in extract_blocks(page)]


# fences that are never run: output, data and configuration
NOT_RUN = frozenset({"text", "json", "toml", "yaml", "ini", "csv", "diff", "html", "xml"})


def test_every_fence_names_its_language() -> None:
    bare = [block.where(ROOT) for block in _all_blocks() if not block.lang]
    assert bare == [], "write ```text (or the language) on these fences"
    unknown = [
        f"{block.where(ROOT)}: {block.lang}"
        for block in _all_blocks()
        if block.lang and block.lang not in RUNNABLE | NOT_RUN
    ]
    assert unknown == [], f"use one of {sorted(RUNNABLE)} to run, or one of {sorted(NOT_RUN)}"


def test_no_run_markers_give_a_reason_and_stay_few() -> None:
    marked = [block for block in _all_blocks() if block.no_run is not None]
    assert [b.where(ROOT) for b in marked if not b.no_run.strip()] == []
    assert [b.where(ROOT) for b in marked if b.lang not in RUNNABLE] == [], (
        "only runnable blocks need a no-run marker; use ```text for output"
    )
    assert len(marked) <= MAX_NO_RUN, [f"{b.where(ROOT)}: {b.no_run}" for b in marked]


def test_the_block_reader_sees_markers_stand_ins_and_indented_fences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n<!-- no-run: needs a service -->\n```sh\ncurl x\n```\n\n"
        "<!-- no-run: bootstraps; instead: rowport demo -->\n\n```sh\nmake demo\n```\n\n"
        "- item\n\n  ```python\n  x = 1\n  ```\n```text\nout\n```\n",
        encoding="utf-8",
    )
    blocks = extract_blocks(page)
    assert [(b.line, b.lang, b.no_run, b.instead, b.runs) for b in blocks] == [
        (4, "sh", "needs a service", None, False),
        (10, "sh", "bootstraps", "rowport demo", True),
        (16, "python", None, None, True),
        (19, "text", None, None, False),
    ]
    assert blocks[2].source == "x = 1\n"


def test_the_readme_snippet_reruns_and_writes_no_errors(tmp_path: Path) -> None:
    (snippet,) = [b for b in extract_blocks(ROOT / "README.md") if b.lang == "python"]
    check = (
        "\nassert not task.has_errors(), "
        "[o.json for o in task.get_buffered_stream(rowport.StreamType.ERRORS)]\n"
    )
    script = tmp_path / "snippet.py"
    script.write_text(snippet.source + check, encoding="utf-8")
    for run in (1, 2):
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"run {run}:\n{done.stderr}"
        assert done.stdout.splitlines()[0].startswith("a {"), done.stdout


def _page(tmp_path: Path, text: str) -> list[Block]:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return extract_blocks(page)


def test_blocks_share_state_and_a_failure_names_its_line(
    tmp_path: Path, session: DocSession
) -> None:
    blocks = _page(
        tmp_path,
        "```python\nx = 41\n```\n```python\nx += 1\nopen('x.txt', 'w').write(str(x))\n```\n"
        '```sh\nN=$(cat x.txt)\n```\n```sh\ntest "$N" = 42\n```\n'
        '```console\n$ false\n$ echo $?\n1\n$ test "$N" = 42\n```\n'
        "```python\nassert x == 43, 'x is 42'\n```\n",
    )
    session.root = tmp_path
    for block in blocks[:-1]:
        session.run(block)
    with pytest.raises(BlockFailed, match=r"(?s)page\.md:20 \(python\).*line 21.*x is 42"):
        session.run(blocks[-1])


@pytest.mark.parametrize(
    "text",
    [
        "```sh\ntrue\nfalse\necho never\n```\n",
        "```console\n$ true\n$ echo $?\n1\n```\n",
        "```console\n$ rowport --no-such-option\n```\n",
    ],
    ids=["sh stops at a failing command", "console checks echo $?", "console needs exit 0"],
)
def test_a_failing_shell_example_fails(tmp_path: Path, session: DocSession, text: str) -> None:
    (block,) = _page(tmp_path, text)
    session.root = tmp_path
    with pytest.raises(BlockFailed, match=r"page\.md:1 \((sh|console)\) did not run"):
        session.run(block)
