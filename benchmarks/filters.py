"""Benchmark of export filters: plan time and per-row export rate against the unfiltered export.

    python benchmarks/filters.py [--rows 200000] [--dir /tmp/x] [--keep] [--only NAME,...]

One catalog of N image rows is built with bulk SQL through the catalog's own schema (the
benchmark measures exports, not ingest): every row sits in one dataset and is queued in one
project, spread over four batches and the four workflow statuses so that every batch, every
status and every status of a batch holds the catalog's mix of rows (batch: row number halved,
modulo 4; status: the row number plus an eighth of it, modulo 4); every other row has a label,
created on one of 120 days from 2024-01-01; last activity runs over the same 120 days. (A
labelled row costs about twice an unlabelled one in a project export: batches by row number
modulo 4 made one batch all labelled rows, and its rate compared labelled rows with the
unfiltered export's average row.) A second project, ``labelled``, queues the labelled rows
alone (copies in a dataset of their own, written after the catalog), each with a label like
its original's. The id
filters list 2,000 rows spread evenly over the whole catalog (the largest list a filter takes,
and the worst case for locality: each row is a page read of its own) with the catalog's mix of
labelled rows, batches and statuses (half of them labelled, as half the catalog is: picks at
multiples of the step, all labelled, made the per-row rate compare labelled rows with the
unfiltered export's average row); ``data_row_ids (adjacent)`` lists 2,000 neighbouring rows,
for comparison.

Then, for each filter alone and a few combinations, on the project export and (for the filters
a dataset export takes) the dataset export:

- plan time: ``build_request`` plus the catalog's ``reads.plan`` (the ordered, counted plan),
  best of three;
- export time: ``export(filters=...)`` waited for, best of three (under 20,000 rows: of seven
  or more, as many as one CPU second holds, at most forty), in CPU seconds of this process (the
  runner thread and the waiting one), which other work on a shared machine moves far less than
  wall time (printed beside it). The per-row rate subtracts the fixed CPU cost of an export
  (where the line through the exports of 101 to 2,000 neighbouring ids meets zero rows: a
  one-row export leaves out its second part, manifest and checkpoint, about 1 us a row of a
  2,000-row export), so a 2,000-row export is compared fairly with a 200,000-row one, and the
  CPU time of the plan (best of five or more), which has its own target: the plan's cost
  follows the rows a filter examines (a 2,000-id list yielding 167 rows resolves 2,000 ids; a
  selective date filter probes every row of the scope), the rate follows the rows it writes.
  Without that, a selective filter's ratio measures its selectivity, not the export;
- ``ratio``: that rate over the unfiltered export's rate of the same kind; ``all-in``: the same
  with the plan left in (for information: it falls with selectivity whatever the code does).
  A project export filtered by ``label_created_at`` writes labelled rows alone, whatever the
  code does: its rates are over those of the unfiltered export of the ``labelled`` project
  (``none (labelled)``), rows like the ones it writes; ``vs none`` is its ratio over the
  first project's unfiltered rate (for information);
- the raw floor (``floor us``: CPU microseconds a row): SQLite alone reading what the export
  must read of the same rows (their records and, in a project, queue entries and labels), in
  pages of 100 keys on a new connection; ``floor``: its rate over its rate on the unfiltered
  export's rows; ``vs floor``: ``ratio`` over ``floor``, the share of the unfiltered rate the
  export keeps against the share SQLite itself keeps on these rows.

Targets: every plan under 1 s, and every ``ratio`` at least 0.8; a ratio that misses, where
SQLite alone reads the case's rows at under 0.8 of its unfiltered rate (``floor`` < 0.8: rows
far apart, each on catalog pages of its own, which neighbours share), is judged by ``vs floor``
instead, at least 0.8 (``judged`` says which: ``rate``, ``floor``, or ``n/a`` for an export of
one batch, whose time is under the timer's noise once the fixed cost is taken off). Prints a
table and exits 1 when a target is missed (2 when the catalog could not be built).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs

import rowport
from rowport.request import ExportKind, PlanLayout, build_request
from rowport.tasks._runner import BATCH_SIZE

PLAN_TARGET_S = 1.0
RATE_TARGET = 0.8
ID_FILTER_SIZE = 2000
REPEAT = 3  # runs of each export; the best counts (shared machines are noisy)
PLAN_REPEAT = 5  # CPU timings of each plan (it is subtracted from the export's CPU time)
SMALL_BUDGET = 1.0  # CPU seconds a small export or a plan is repeated for, at least
MAX_REPEAT = 40
SMALL_EXPORT = 20_000  # rows under which an export is timed SMALL_REPEAT times
SMALL_REPEAT = 7
STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
USER = "bench@example.com"
LABELLED = "none (labelled)"  # the unfiltered export of the labelled project


def stamp(n: int) -> tuple[str, float]:
    """The export timestamp text and epoch of day ``n % 120`` after 2024-01-01, plus n ms."""
    at = EPOCH + timedelta(days=n % 120, milliseconds=n % 1000)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+00:00", at.timestamp()


def cuid(prefix: str, n: int) -> str:
    """A 25-character id made of a readable prefix and a number."""
    return f"{prefix}{n:0{25 - len(prefix)}d}"


@attrs.frozen(kw_only=True)
class _Row:
    """One row the benchmark writes: its number ``n`` (its stamps, URL and status), key, id,
    global key, batch, and label id (None: no label)."""

    n: int
    rid: int
    id: str
    global_key: str
    batch_id: str
    label_id: str | None


def _write_rows(
    conn: sqlite3.Connection,
    org: str,
    created: str,
    dataset_id: str,
    project_id: str,
    rows: list[_Row],
) -> None:
    """Insert ``rows`` into ``dataset_id``, queue them in ``project_id`` and label those with a
    label id: each table's rows at once, in the order given."""
    conn.executemany(
        "INSERT INTO data_rows (rid, id, dataset_id, organization_id, global_key,"
        " row_data, media_type, media_attributes, created_at, updated_at,"
        " last_activity_at, last_activity_ts, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, 'image', ?, ?, ?, ?, ?, ?)",
        [
            (
                r.rid,
                r.id,
                dataset_id,
                org,
                r.global_key,
                f"https://storage.example.com/bench/{r.n}.jpeg",
                '{"height":1707,"width":2560,"asset_type":"image",'
                '"mime_type":"image/jpeg","exif_rotation":"1"}',
                created,
                created,
                *stamp(r.n),
                USER,
            )
            for r in rows
        ],
    )
    conn.executemany(
        "INSERT INTO project_data_rows (project_id, data_row_id, data_row_rid,"
        " batch_id, workflow_status, priority, added_at) VALUES (?, ?, ?, ?, ?, 5, ?)",
        [
            (project_id, r.id, r.rid, r.batch_id, STATUSES[(r.n // 8 + r.n) % 4], created)
            for r in rows
        ],
    )
    conn.executemany(
        "INSERT INTO labels (id, project_id, data_row_id, label_kind, version,"
        " annotations, created_at, created_ts, updated_at, created_by)"
        " VALUES (?, ?, ?, 'Default', '1.0.0', ?, ?, ?, ?, ?)",
        [
            (
                r.label_id,
                project_id,
                r.id,
                '{"objects":[],"classifications":[],"relationships":[]}',
                *stamp(r.n + 7),
                stamp(r.n + 7)[0],
                USER,
            )
            for r in rows
            if r.label_id is not None
        ],
    )


class Bench:
    """The catalog under test and the ids its filters use."""

    def __init__(self, home: Path, rows: int) -> None:
        self.home = home
        self.rows = rows
        with rowport.Client(home) as client:
            self.dataset_id = client.create_dataset("bench").uid
            self.project_id = client.create_project("bench", "image").uid
            self.labelled_dataset = client.create_dataset("labelled").uid
            self.labelled_id = client.create_project("labelled", "image").uid
            org = client.catalog.organization_id
        self.batch_ids = [cuid("cbenchfilterbatch", b) for b in range(4)]
        self.labelled_batch = cuid("cbenchlabelledbatch", 0)
        step = max(1, rows // ID_FILTER_SIZE)
        # row i * step, moved on by i % 10 so that the picks have the catalog's mix of labelled
        # rows, batches and statuses (multiples of an even step would all be labelled, and
        # their per-row rate would compare labelled rows with the unfiltered half-labelled ones)
        shift = 10 if step >= 10 else 1
        picked = [i * step + i % shift for i in range(min(ID_FILTER_SIZE, rows // step))]
        self.row_ids = [cuid("cbenchfilterrow", n) for n in picked]
        self.adjacent_ids = [cuid("cbenchfilterrow", n) for n in range(min(rows, ID_FILTER_SIZE))]
        self.global_keys = [f"bench-{n}" for n in picked]
        self._fill(org)

    def _fill(self, org: str) -> None:
        conn = sqlite3.connect(self.home / "catalog.db")
        created, _ = stamp(0)
        with conn:
            conn.executemany(
                "INSERT INTO batches (id, project_id, name, priority, created_at)"
                " VALUES (?, ?, ?, 5, ?)",
                [
                    *(
                        (b, self.project_id, f"batch-{i}", created)
                        for i, b in enumerate(self.batch_ids)
                    ),
                    (self.labelled_batch, self.labelled_id, "labelled", created),
                ],
            )
            chunk = 20_000
            for start in range(0, self.rows, chunk):
                _write_rows(
                    conn,
                    org,
                    created,
                    self.dataset_id,
                    self.project_id,
                    [
                        _Row(
                            n=n,
                            rid=n + 1,
                            id=cuid("cbenchfilterrow", n),
                            global_key=f"bench-{n}",
                            batch_id=self.batch_ids[n // 2 % 4],
                            label_id=cuid("cbenchfilterlabel", n) if n % 2 == 0 else None,
                        )
                        for n in range(start, min(start + chunk, self.rows))
                    ],
                )
            self._fill_labelled(conn, org, created)
        conn.close()

    def _fill_labelled(self, conn: sqlite3.Connection, org: str, created: str) -> None:
        """The ``labelled`` project: a copy of each labelled row (in a dataset of its own, with
        a label like its original's), written after the catalog so that the first project's
        rows, entries and labels sit on their pages as they would without it."""
        chunk = 20_000
        for start in range(0, self.rows, chunk):
            _write_rows(
                conn,
                org,
                created,
                self.labelled_dataset,
                self.labelled_id,
                [
                    _Row(
                        n=n,
                        rid=self.rows + 1 + n // 2,
                        id=cuid("cbenchlabelledrow", n),
                        global_key=f"labelled-{n}",
                        batch_id=self.labelled_batch,
                        label_id=cuid("cbenchlabelledlabel", n),
                    )
                    for n in range(start, min(start + chunk, self.rows))
                    if n % 2 == 0
                ],
            )

    def cases(self) -> list[tuple[str, ExportKind, dict[str, Any]]]:
        """``(name, kind, filters)``: the unfiltered baselines first, then every filter alone
        on both kinds that take it, then combinations."""
        since = {"last_activity_at": ["2024-03-01", None]}
        labelled = {"label_created_at": ["2024-03-01", None]}
        done = {"workflow_status": "Done"}
        batch = {"batch_ids": self.batch_ids[:1]}
        batches = {"batch_ids": self.batch_ids[:2]}
        keys = {"global_keys": self.global_keys}
        ids = {"data_row_ids": self.row_ids}
        project, dataset = ExportKind.PROJECT, ExportKind.DATASET
        return [
            ("none", project, {}),
            ("none", dataset, {}),
            (LABELLED, project, {}),
            ("last_activity_at", project, since),
            ("label_created_at", project, labelled),
            ("workflow_status", project, done),
            ("batch_ids (1)", project, batch),
            ("batch_ids (2)", project, batches),
            ("global_keys", project, keys),
            ("data_row_ids", project, ids),
            ("data_row_ids (adjacent)", project, {"data_row_ids": self.adjacent_ids}),
            ("last_activity_at", dataset, since),
            ("label_created_at", dataset, labelled),
            ("global_keys", dataset, keys),
            ("data_row_ids", dataset, ids),
            ("status+batch", project, {**done, **batch}),
            ("activity+label", project, {**since, **labelled}),
            ("label+status+batches", project, {**labelled, **done, **batches}),
            ("keys+activity", project, {**keys, **since}),
            ("ids+label+status", project, {**ids, **labelled, **done}),
            ("activity+label", dataset, {**since, **labelled}),
            ("keys+label", dataset, {**keys, **labelled}),
        ]


def best(
    times: int,
    fn: Callable[[], Any],
    clock: Callable[[], float] = time.perf_counter,
    budget: float = 0.0,
) -> tuple[float, Any]:
    """The best time by ``clock`` of ``times`` calls and the last result; more calls (up to
    :data:`MAX_REPEAT`) while they took less than ``budget`` seconds in all, so that a timing
    of a few milliseconds is the best of many (a short one suffers most from other work)."""
    out: Any = None
    top = float("inf")
    spent = 0.0
    runs = 0
    while runs < times or (spent < budget and runs < MAX_REPEAT):
        start = clock()
        out = fn()
        took = clock() - start
        top, spent, runs = min(top, took), spent + took, runs + 1
    return top, out


def plan_seconds(
    client: rowport.Client, scope: str, kind: ExportKind, filters: Any
) -> tuple[float, float]:
    """Best wall and best CPU time to validate the request and plan it in the catalog."""

    def plan() -> Any:
        request = build_request(kind, scope_ids=(scope,), filters=filters)
        return client.catalog.reads.plan(request)

    return best(3, plan)[0], best(PLAN_REPEAT, plan, time.process_time, SMALL_BUDGET)[0]


def fixed_seconds(client: rowport.Client, scope: str, kind: ExportKind, bench: Bench) -> float:
    """The fixed CPU cost of an export of ``kind`` that writes more than one batch: where the
    least-squares line through the CPU times of the exports of the first 101 (two batches),
    500, 1,000 and 2,000 neighbouring ids (each less its plan) meets zero rows. A one-row
    export leaves out what such an export does once more (its second part and manifest, its
    checkpoint): about 2 ms, 1 us a row of a 2,000-row export; a line through two points far
    from zero moved by twice the noise of either."""
    written: list[int] = []
    spent: list[float] = []
    count = len(bench.adjacent_ids)
    for size in sorted({min(BATCH_SIZE + 1, count), count // 4, count // 2, count}):
        filters = {"data_row_ids": bench.adjacent_ids[:size]}
        seconds, _, rows = export_seconds(client, scope, kind, filters)
        written.append(rows)
        spent.append(seconds - plan_seconds(client, scope, kind, filters)[1])
    return statistics.linear_regression(written, spent).intercept


def written_keys(client: rowport.Client, scope: str, kind: ExportKind, filters: Any) -> list[int]:
    """The keys (``rid``) of the rows the export of ``filters`` writes, in order: its plan's
    list, or its pages' keys (outside any timing)."""
    reads = client.catalog.reads
    plan = reads.plan(build_request(kind, scope_ids=(scope,), filters=filters))
    if plan.keys is not None:
        return [int(key) for key in plan.keys]
    layout = PlanLayout()
    rid = layout.positions["rid"]
    return [int(row[rid]) for page in reads.iter_batches(plan, BATCH_SIZE, layout) for row in page]


def floor_seconds(db: Path, keys: list[int], project: str | None) -> float:
    """Best CPU time of SQLite alone reading what an export must read of the rows ``keys``
    (the raw floor of that set of rows): on a new connection (no page in SQLite's cache; the
    operating system's as warm as the export's), pages of 100 keys in order, each the rows'
    records (``SELECT *``) and, for a ``project``, their queue entries and labels in it. Rows
    that share no catalog page cost SQLite a page read each; neighbours share them: the floor
    of 2,000 rows one in a hundred is not the unfiltered export's."""

    def read() -> None:
        conn = sqlite3.connect(db)
        try:
            for start in range(0, len(keys), BATCH_SIZE):
                page = keys[start : start + BATCH_SIZE]
                marks = ",".join("?" * len(page))
                rows = conn.execute(
                    f"SELECT * FROM data_rows WHERE rid IN ({marks}) ORDER BY rid", page
                ).fetchall()
                if project is None:
                    continue
                conn.execute(
                    "SELECT * FROM project_data_rows WHERE project_id = ?"
                    f" AND data_row_rid IN ({marks})",
                    (project, *page),
                ).fetchall()
                ids = [row[1] for row in rows]
                conn.execute(
                    f"SELECT * FROM labels WHERE data_row_id IN ({','.join('?' * len(ids))})"
                    " AND project_id = ?",
                    (*ids, project),
                ).fetchall()
        finally:
            conn.close()

    repeat = REPEAT if len(keys) >= SMALL_EXPORT else SMALL_REPEAT
    return best(repeat, read, time.process_time, SMALL_BUDGET if repeat > REPEAT else 0.0)[0]


def export_seconds(
    client: rowport.Client, scope: str, kind: ExportKind, filters: Mapping[str, Any]
) -> tuple[float, float, int]:
    """Best CPU and wall time of a waited-for export, and the rows it wrote."""
    entity: Any = (
        client.get_project(scope) if kind is ExportKind.PROJECT else client.get_dataset(scope)
    )

    walls: list[float] = []

    def run() -> int:
        start = time.perf_counter()
        task = entity.export(filters=dict(filters))
        task.wait_till_done()
        walls.append(time.perf_counter() - start)
        if task.status != "COMPLETE":
            raise RuntimeError(f"export {task.uid} ended {task.status}: {task.errors_message}")
        return task.rows_done

    first, rows = best(1, run, time.process_time)
    if rows >= SMALL_EXPORT:
        again, _ = best(REPEAT - 1, run, time.process_time)
    else:
        again, _ = best(SMALL_REPEAT - 1, run, time.process_time, SMALL_BUDGET)
    return min(first, again), min(walls), rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status says whether every target was met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to build (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the catalog afterwards")
    parser.add_argument("--only", default="", help="comma-separated case names to run")
    args = parser.parse_args(argv)
    root = Path(args.dir or tempfile.mkdtemp(prefix="rowport-filters-"))
    home = root / "home"
    if home.exists():
        shutil.rmtree(home)
    try:
        start = time.perf_counter()
        try:
            bench = Bench(home, args.rows)
        except Exception as exc:
            print(f"could not build the catalog: {exc}", file=sys.stderr)
            return 2
        print(f"{args.rows:,} rows built in {time.perf_counter() - start:.1f} s under {home}\n")
        return run_cases(bench, [n for n in args.only.split(",") if n])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def run_cases(bench: Bench, only: list[str]) -> int:
    """Measure every case, print the table, return the exit status."""
    missed: list[str] = []
    with rowport.Client(bench.home, max_workers=1) as client:
        scopes = {ExportKind.PROJECT: bench.project_id, ExportKind.DATASET: bench.dataset_id}
        fixed = {kind: fixed_seconds(client, scope, kind, bench) for kind, scope in scopes.items()}
        project_ms, dataset_ms = (fixed[k] * 1e3 for k in scopes)
        print(
            f"fixed CPU cost of an export of more than one batch: project {project_ms:.1f} ms,"
            f" dataset {dataset_ms:.1f} ms\n"
        )
        header = (
            f"{'filter':24} {'kind':8} {'rows':>8} {'plan ms':>8} {'plan cpu':>8} {'wall s':>7}"
            f" {'cpu s':>7} {'rows/cpu s':>10} {'ratio':>6} {'all-in':>6} {'vs none':>7}"
            f" {'floor us':>8} {'floor':>6} {'vs floor':>8} {'judged':>6}"
        )
        print(header)
        print("-" * len(header))
        baseline: dict[tuple[str, ExportKind], tuple[float, float, float]] = {}
        db = bench.home / "catalog.db"
        for name, kind, filters in bench.cases():
            if only and name not in only and name not in ("none", LABELLED):
                continue
            scope = bench.labelled_id if name == LABELLED else scopes[kind]
            plan, plan_cpu = plan_seconds(client, scope, kind, filters)
            seconds, wall, rows = export_seconds(client, scope, kind, filters)
            rate = rows / max(seconds - fixed[kind] - plan_cpu, 1e-6)
            all_in = rows / max(seconds - fixed[kind], 1e-6)
            keys = written_keys(client, scope, kind, filters)
            project = scope if kind is ExportKind.PROJECT else None
            floor = len(keys) / max(floor_seconds(db, keys, project), 1e-9)  # rows/s
            if name in ("none", LABELLED):
                baseline[(name, kind)] = (rate, all_in, floor)
            # a project export filtered by label date writes labelled rows alone (a baseline
            # is its own: its "vs none" compares it with the first project's)
            labelled = kind is ExportKind.PROJECT and "label_created_at" in filters
            like = LABELLED if labelled or name == LABELLED else "none"
            base_rate, base_all_in, base_floor = baseline[(like, kind)]
            ratio, all_in_ratio = rate / base_rate, all_in / base_all_in
            versus = f"{rate / baseline[('none', kind)][0]:7.2f}" if like != "none" else ""
            floor_ratio = floor / base_floor  # SQLite's own rate on these rows, relatively
            against_floor = ratio / floor_ratio
            judged, value = judge(rows, ratio, floor_ratio, against_floor)
            flags = []
            if plan >= PLAN_TARGET_S:
                flags.append(f"plan >= {PLAN_TARGET_S:g} s")
            if value is not None and value < RATE_TARGET:
                flags.append(f"{'ratio' if judged == 'rate' else 'vs floor'} < {RATE_TARGET:g}")
            if flags:
                missed.append(f"{name} ({kind.value}): {', '.join(flags)}")
            print(
                f"{name:24} {kind.value:8} {rows:8,} {plan * 1e3:8.1f} {plan_cpu * 1e3:8.1f}"
                f" {wall:7.2f} {seconds:7.2f} {rate:10,.0f} {ratio:6.2f} {all_in_ratio:6.2f}"
                f" {versus:>7} {1e6 / floor:8.2f} {floor_ratio:6.2f} {against_floor:8.2f}"
                f" {judged:>6}{'  MISSED' if flags else ''}",
                flush=True,
            )
    print()
    if missed:
        print("targets missed:\n  " + "\n  ".join(missed))
        return 1
    print(
        f"every plan under {PLAN_TARGET_S:g} s and every rate at least {RATE_TARGET:g}x the"
        " unfiltered one (rows that share no page: against the raw floor)"
    )
    return 0


def judge(
    rows: int, ratio: float, floor_ratio: float, against_floor: float
) -> tuple[str, float | None]:
    """Which figure a case is judged by, and its value (None: not judged): ``rate`` (its
    ratio); ``floor`` when that misses where SQLite alone reads these rows at under
    :data:`RATE_TARGET` of its rate on the unfiltered export's (they share no catalog page):
    its ratio over SQLite's own on the same rows (the export cannot keep a higher share of the
    unfiltered rate than SQLite itself does); or
    ``n/a`` for one batch or less (the fixed cost is that of several batches, and what is
    left is the timer's noise)."""
    if rows <= BATCH_SIZE:
        return "n/a", None
    if ratio < RATE_TARGET and floor_ratio < RATE_TARGET:
        return "floor", against_floor
    return "rate", ratio


if __name__ == "__main__":
    sys.exit(main())
