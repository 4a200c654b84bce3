"""The demo's media files are real: Pillow, wave and a regex read back what was written."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import orjson
from PIL import Image

from rowport.demo._media import CONVERSATION, TEXT, probe_media

EXIF_ORIENTATION = 0x0112


def test_make_media_writes_every_file_at_an_absolute_path(media: dict[str, Path]) -> None:
    assert set(media) == {
        "street_jpg",
        "rotated_jpg",
        "diagram_png",
        "speech_wav",
        "chime_wav",
        "invoice_pdf",
        "article_txt",
        "policy_html",
        "conversation_json",
        "tile_layer_json",
    }
    for path in media.values():
        assert path.is_absolute()
        assert path.stat().st_size > 0


def test_jpegs_and_png_open_with_their_sizes(media: dict[str, Path]) -> None:
    expected = {
        "street_jpg": ("JPEG", (640, 480)),
        "rotated_jpg": ("JPEG", (480, 360)),
        "diagram_png": ("PNG", (320, 240)),
    }
    for key, (fmt, size) in expected.items():
        with Image.open(media[key]) as img:
            img.load()
            assert (img.format, img.size) == (fmt, size)


def test_rotated_jpeg_carries_exif_orientation_6(media: dict[str, Path]) -> None:
    with Image.open(media["rotated_jpg"]) as img:
        assert img.getexif()[EXIF_ORIENTATION] == 6
    with Image.open(media["street_jpg"]) as img:
        assert img.getexif().get(EXIF_ORIENTATION, 1) == 1


def test_wavs_have_their_lengths_rates_and_channels(media: dict[str, Path]) -> None:
    expected = {"speech_wav": (1.5, 16000, 1), "chime_wav": (0.75, 8000, 2)}
    for key, (seconds, rate, channels) in expected.items():
        with wave.open(str(media[key]), "rb") as wav:
            assert wav.getframerate() == rate
            assert wav.getnchannels() == channels
            assert wav.getsampwidth() == 2
            assert wav.getnframes() / wav.getframerate() == seconds


def test_pdf_has_two_pages_with_different_media_boxes(media: dict[str, Path]) -> None:
    data = media["invoice_pdf"].read_bytes()
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    assert re.search(rb"/Type /Pages /Kids \[3 0 R 5 0 R\] /Count 2", data)
    assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 2
    boxes = re.findall(rb"/MediaBox \[0 0 (\d+) (\d+)\]", data)
    assert boxes == [(b"612", b"792"), (b"842", b"595")]


def test_pdf_xref_offsets_point_at_their_objects(media: dict[str, Path]) -> None:
    data = media["invoice_pdf"].read_bytes()
    startxref = int(re.search(rb"startxref\s+(\d+)\s+%%EOF", data)[1])  # type: ignore[index]
    assert data[startxref:].startswith(b"xref\n0 8\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", data[startxref:])
    assert len(entries) == 7
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)


def test_pdf_content_streams_have_their_declared_length(media: dict[str, Path]) -> None:
    data = media["invoice_pdf"].read_bytes()
    streams = re.findall(rb"/Length (\d+) >>\nstream\n(.*?)endstream", data, re.S)
    assert len(streams) == 2
    for length, body in streams:
        assert int(length) == len(body)
        assert body.startswith(b"BT /F1 ") and body.rstrip().endswith(b"Tj ET")


def test_text_html_and_json_files_hold_the_demo_content(media: dict[str, Path]) -> None:
    assert media["article_txt"].read_text(encoding="utf-8") == TEXT
    assert "<html" in media["policy_html"].read_text(encoding="utf-8")
    conversation = orjson.loads(media["conversation_json"].read_bytes())
    assert conversation == CONVERSATION
    assert conversation["type"] == "application/vnd.labelbox.conversational"
    message = conversation["messages"][0]
    assert set(message) == {"messageId", "timestampUsec", "content", "user", "align", "canLabel"}
    layer = orjson.loads(media["tile_layer_json"].read_bytes())
    assert layer["tileLayerUrl"] == "https://tile.example/{z}/{x}/{y}.png"
    (west, south), (east, north) = layer["bounds"]
    assert west < east and south < north
    assert (layer["minZoom"], layer["maxZoom"], layer["epsg"]) == (12, 19, "EPSG4326")


def test_probe_media_reads_attributes_back_from_the_files(media: dict[str, Path]) -> None:
    probed = probe_media(media)
    assert probed["rotated_jpg"] == {
        "height": 360,
        "width": 480,
        "asset_type": "image",
        "mime_type": "image/jpeg",
        "exif_rotation": "6",
    }
    assert probed["diagram_png"]["mime_type"] == "image/png"
    assert probed["street_jpg"]["exif_rotation"] == "1"
    assert probed["chime_wav"] == {
        "asset_type": "audio",
        "mime_type": "audio/wav",
        "duration_ms": 750,
        "sample_rate": 8000,
        "channels": 2,
    }
    assert probed["invoice_pdf"]["page_count"] == 2
    assert probed["conversation_json"]["message_count"] == len(CONVERSATION["messages"])


def test_make_media_twice_overwrites_in_place(media: dict[str, Path]) -> None:
    from rowport.demo import make_media

    again = make_media(media["street_jpg"].parent)
    assert again == media
    with Image.open(again["street_jpg"]) as img:
        assert img.size == (640, 480)
