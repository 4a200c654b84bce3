"""MOT, CoNLL, spaCy, WebVTT, SRT, RTTM, chat, preference, GeoJSON and page layout, each read
back by its community's reader (or parsed to the same values where the format has none)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from formats_support import TRANSCRIPT, Catalogs, export, first_label, rows_of


def test_mot_rows_match_the_interpolated_boxes(catalogs: Catalogs, tmp_path: Path) -> None:
    project = catalogs.demo.project_ids["video"]
    keyframes = export(catalogs.client, project)
    interpolated = export(catalogs.client, project, interpolated_frames=True)
    report = keyframes.convert("mot", tmp_path / "mot")
    expected = {}
    for row in rows_of(interpolated):
        label = first_label(row)
        if label is None:
            continue
        tracks: dict[str, int] = {}
        lines = set()
        for number in sorted(label["frames"], key=int):
            for fid, obj in label["frames"][number]["objects"].items():
                b = obj["bounding_box"]
                track = tracks.setdefault(fid, len(tracks) + 1)
                values = (b["left"], b["top"], b["width"], b["height"])
                lines.add((int(number), track, *(round(v, 4) for v in values)))
        expected[row["data_row"]["external_id"]] = lines, row["media_attributes"]["frame_rate"]
    assert report.rows_written == len(expected)
    for name, (lines, fps) in expected.items():
        text = (tmp_path / "mot" / name / "gt" / "gt.txt").read_text()
        rows = [x.split(",") for x in text.split()]
        got = {(int(r[0]), int(r[1]), *(round(float(v), 4) for v in r[2:6])) for r in rows}
        assert got == lines
        assert len(rows) == len(lines)
        assert all(r[6] == "1" and r[8] == "1" for r in rows)
        assert f"frameRate={fps:g}" in (tmp_path / "mot" / name / "seqinfo.ini").read_text()


@pytest.fixture(scope="module")
def texts(catalogs: Catalogs) -> Any:
    return export(catalogs.client, catalogs.demo.project_ids["text"])


def _conll_docs(path: Path) -> list[list[tuple[str, str]]]:
    docs: list[list[tuple[str, str]]] = []
    for line in path.read_text().splitlines():
        if line.startswith("-DOCSTART-"):
            assert line == "-DOCSTART- -X- -X- O"
            docs.append([])
        elif line:
            word, pos, chunk, tag = line.split(" ")
            assert (pos, chunk) == ("-X-", "-X-")
            docs[-1].append((word, tag))
    return docs


def test_conll_has_a_docstart_per_row_and_iob2_tags_on_the_entities(
    texts: Any, tmp_path: Path
) -> None:
    texts.convert("conll", tmp_path / "conll")
    docs = _conll_docs(tmp_path / "conll" / "train.conll")
    labelled = [r for r in rows_of(texts) if first_label(r) is not None]
    assert len(docs) == len(labelled)
    for doc, row in zip(docs, labelled, strict=True):
        entities = []
        for word, tag in doc:
            assert tag == "O" or tag[:2] in ("B-", "I-")
            if tag.startswith("I-"):
                assert entities and entities[-1][0] == tag[2:]  # IOB2: I- continues a B-
                entities[-1][1].append(word)
            elif tag.startswith("B-"):
                entities.append((tag[2:], [word]))
        label = first_label(row)
        assert label is not None
        wanted = sorted((o["value"], o["location"]["token"]) for o in label["objects"])
        text = (
            row["data_row"]["row_data"]
            if not row["data_row"]["row_data"].startswith("file:")
            else None
        )
        got = sorted((kind, " ".join(words)) for kind, words in entities)
        if text is not None:
            # tokens joined by spaces equal the entity text with spaces around punctuation
            assert [g[0] for g in got] == [w[0] for w in wanted]
            assert [g[1].replace(" ", "") for g in got] == [w[1].replace(" ", "") for w in wanted]


def test_spacy_reads_the_docbin_and_spacy_convert_reads_the_conll_into_the_same_docs(
    texts: Any, tmp_path: Path
) -> None:
    spacy = pytest.importorskip(
        "spacy", reason="needs: spacy (the rowport[spacy] extra, which make test installs)"
    )
    import subprocess
    import sys

    from spacy.tokens import DocBin

    texts.convert("spacy", tmp_path / "spacy")
    texts.convert("conll", tmp_path / "conll", {"dialect": "spacy"})
    vocab = spacy.blank("en").vocab
    ours = list(DocBin().from_disk(tmp_path / "spacy" / "train-00000.spacy").get_docs(vocab))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "convert",
            str(tmp_path / "conll" / "train.conll"),
            str(tmp_path),
            "--converter",
            "ner",
            "--n-sents",
            "0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    converted = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(vocab))
    assert len(ours) == len(converted)
    for doc, read in zip(ours, converted, strict=True):
        assert [t.text for t in doc] == [t.text for t in read]
        assert [(e.start, e.end, e.label_) for e in doc.ents] == [
            (e.start, e.end, e.label_) for e in read.ents
        ]
        assert [s.start for s in doc.sents] == [s.start for s in read.sents]


@pytest.fixture(scope="module")
def speech(catalogs: Catalogs) -> Any:
    return export(catalogs.client, catalogs.extra["audio"])


def test_webvtt_and_srt_parse_with_the_same_cue_times(speech: Any, tmp_path: Path) -> None:
    webvtt = pytest.importorskip("webvtt", reason="needs: webvtt-py (the dev extra)")
    srt = pytest.importorskip("srt", reason="needs: srt (the dev extra)")
    speech.convert("webvtt", tmp_path / "vtt")
    speech.convert("srt", tmp_path / "srt")
    row_id = rows_of(speech)[0]["data_row"]["id"]
    cues = webvtt.read(str(tmp_path / "vtt" / f"{row_id}.vtt"))
    times = [(c.start, c.end) for c in cues]
    assert times == [
        ("00:00:00.000", "00:00:01.200"),
        ("00:00:01.200", "00:00:02.600"),
        ("00:00:02.600", "00:00:04.000"),
    ]
    subtitles = list(srt.parse((tmp_path / "srt" / f"{row_id}.srt").read_text()))
    assert [
        (int(s.start.total_seconds() * 1000), int(s.end.total_seconds() * 1000), s.content)
        for s in subtitles
    ] == [(s, e, t) for s, e, t in TRANSCRIPT]
    assert [c.text for c in cues] == [t.replace("-->", "->") for _, _, t in TRANSCRIPT]


def test_rttm_has_one_speaker_line_per_turn(speech: Any, tmp_path: Path) -> None:
    speech.convert("rttm", tmp_path / "rttm")
    row_id = rows_of(speech)[0]["data_row"]["id"]
    lines = [x.split() for x in (tmp_path / "rttm" / "speakers.rttm").read_text().splitlines()]
    assert [(f[0], f[1], f[2], f[3], f[4], f[7]) for f in lines] == [
        ("SPEAKER", row_id, "1", "0.000", "2.600", "ana"),
        ("SPEAKER", row_id, "1", "2.600", "1.400", "bo"),
    ]
    assert all(len(f) == 10 for f in lines)


def test_chat_jsonl_has_messages_with_roles(catalogs: Catalogs, tmp_path: Path) -> None:
    task = export(catalogs.client, catalogs.demo.project_ids["conversational"])
    task.convert("chat", tmp_path / "chat")
    lines = [json.loads(x) for x in (tmp_path / "chat" / "chat.jsonl").read_text().splitlines()]
    rows = {r["data_row"]["id"]: r for r in rows_of(task)}
    for line in lines:
        conversation = json.loads(rows[line["data_row_id"]]["data_row"]["row_data"])
        assert [m["content"] for m in line["messages"]] == [
            m["content"] for m in conversation["messages"]
        ]
        assert [m["role"] for m in line["messages"]] == [
            "assistant" if m["align"] == "right" else "user" for m in conversation["messages"]
        ]


def test_preference_pairs_come_from_the_ranking(catalogs: Catalogs, tmp_path: Path) -> None:
    task = export(catalogs.client, catalogs.extra["conversational"])
    report = task.convert("preference", tmp_path / "pref")
    pairs = [
        json.loads(x) for x in (tmp_path / "pref" / "preferences.jsonl").read_text().splitlines()
    ]
    # ranks: m1 = 1, m3 = 2, m2 = 3 -> three better/worse pairs
    chosen = [(p["chosen"][0]["content"][:4], p["rejected"][0]["content"][:4]) for p in pairs]
    assert sorted(chosen) == sorted([("Open", "I ca"), ("Open", "Use "), ("Use ", "I ca")])
    assert all(
        p["prompt"] == [{"role": "user", "content": "How do I reset my password?"}] for p in pairs
    )
    assert report.lossless


def test_geojson_validates_and_shapely_reads_the_geometries(
    catalogs: Catalogs, tmp_path: Path
) -> None:
    from shapely.geometry import shape

    task = export(catalogs.client, catalogs.demo.project_ids["geospatial"])
    task.convert("geojson", tmp_path / "geo")
    collection = json.loads((tmp_path / "geo" / "features.geojson").read_text())
    assert collection["type"] == "FeatureCollection"
    assert collection["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    objects = {
        o["feature_id"]: o
        for r in rows_of(task)
        if (label := first_label(r)) is not None
        for o in label["objects"]
    }
    assert len(collection["features"]) == len(objects)
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid
        assert geometry.equals(shape(objects[feature["id"]]["geojson"]))
        assert feature["properties"]["name"] == objects[feature["id"]]["name"]
        assert -180 <= geometry.bounds[0] <= 180 and -90 <= geometry.bounds[1] <= 90
    building = next(f for f in collection["features"] if f["properties"]["name"] == "building")
    assert building["properties"]["classifications"] == {"roof": "flat"}


def test_layout_writes_one_file_per_page_with_its_size(catalogs: Catalogs, tmp_path: Path) -> None:
    task = export(catalogs.client, catalogs.demo.project_ids["document"])
    task.convert("layout", tmp_path / "layout")
    row = next(r for r in rows_of(task) if first_label(r) is not None)
    folder = tmp_path / "layout" / row["data_row"]["id"]
    pages = [json.loads(p.read_text()) for p in sorted(folder.glob("page-*.json"))]
    assert [p["page_number"] for p in pages] == [1, 2]
    assert (pages[0]["width"], pages[0]["height"]) == (612.0, 792.0)
    assert (pages[1]["width"], pages[1]["height"]) == (842.0, 595.0)
    assert pages[0]["boxes"][0]["name"] == "title block"
    assert pages[0]["token_groups"][0]["text"] == "2024-0042"
