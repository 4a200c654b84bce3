"""Real, small media files for the demo, made locally: JPEG/PNG, WAV, PDF, text, HTML, JSON.

Every file is written from scratch with Pillow or the standard library, so the demo needs no
network. :func:`probe_media` reads them back to get the media attributes the rows store.
"""

from __future__ import annotations

import math
import re
import struct
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from PIL import Image, ImageDraw

__all__ = [
    "CONVERSATION",
    "HTML_PAGE",
    "IMAGES",
    "PDF_PAGES",
    "SHORT_TEXTS",
    "TEXT",
    "TILE_LAYER",
    "VIDEOS",
    "WAVS",
    "make_media",
    "pdf_media_boxes",
    "probe_media",
    "video_attributes",
]

EXIF_ORIENTATION = 0x0112

# name -> (file name, width, height, EXIF orientation or None)
IMAGES: dict[str, tuple[str, int, int, int | None]] = {
    "street_jpg": ("street.jpg", 640, 480, None),
    "rotated_jpg": ("rotated.jpg", 480, 360, 6),
    "diagram_png": ("diagram.png", 320, 240, None),
}
# name -> (file name, seconds, sample rate, channels)
WAVS: dict[str, tuple[str, float, int, int]] = {
    "speech_wav": ("speech.wav", 1.5, 16000, 1),
    "chime_wav": ("chime.wav", 0.75, 8000, 2),
}
# (width, height) in PDF points, one per page, with the line of text each page shows
PDF_PAGES: tuple[tuple[int, int, str], ...] = (
    (612, 792, "Invoice 2024-0042 (page 1, US Letter portrait)"),
    (842, 595, "Line items (page 2, A4 landscape)"),
)

TEXT = (
    "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine. "
    "Her notes, published in 1843, describe an algorithm for computing Bernoulli numbers. "
    "Today the research suggests she was the first to see that a computing machine could "
    "manipulate symbols, not just numbers."
)

SHORT_TEXTS = (
    "Grace Hopper joined the Harvard Mark I team in 1944, far from London.",
    "Alan Turing described the Automatic Computing Engine in London in 1945.",
    "Charles Babbage never finished the Analytical Engine; Ada Lovelace wrote about it in 1843.",
)

HTML_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Return policy</title></head>
<body>
<h1>Return policy</h1>
<p>Items can be returned within <strong>30 days</strong> of delivery.</p>
<ul><li>Keep the receipt.</li><li>Refunds take 5 business days.</li></ul>
</body>
</html>
"""

_MESSAGES: tuple[tuple[str, str, str], ...] = (
    ("customer", "Customer", "Hi, my Acme X200 blender stopped working after two days."),
    ("agent", "Support agent", "Sorry to hear that! Could you send me the order number?"),
    ("customer", "Customer", "Sure, it is 88-1234. Can I get a replacement instead of a refund?"),
    ("agent", "Support agent", "Done: a new X200 ships tomorrow. Anything else I can help with?"),
    ("customer", "Customer", "No, thanks a lot!"),
)

CONVERSATION: dict[str, Any] = {
    "type": "application/vnd.labelbox.conversational",
    "version": 1,
    "messages": [
        {
            "messageId": f"message-{i}",
            "timestampUsec": 1_700_000_000_000_000 + i * 45_000_000,
            "content": content,
            "user": {"userId": user_id, "name": name},
            "align": "left" if user_id == "customer" else "right",
            "canLabel": True,
        }
        for i, (user_id, name, content) in enumerate(_MESSAGES)
    ],
}

TILE_LAYER: dict[str, Any] = {
    "tileLayerUrl": "https://tile.example/{z}/{x}/{y}.png",
    "bounds": [[-122.4310, 37.7620], [-122.4100, 37.7790]],
    "minZoom": 12,
    "maxZoom": 19,
    "epsg": "EPSG4326",
}


# Videos are referenced by URL only, with the attributes a probe would have found.
VIDEOS: tuple[tuple[str, int, int, int, int, str, str], ...] = (
    # URL file name, width, height, frame rate, frame count, codec, mime type
    ("clip.mp4", 1280, 720, 30, 300, "h264", "video/mp4"),
    ("dashcam-night.mp4", 1920, 1080, 30, 450, "h264", "video/mp4"),
    ("drone.webm", 640, 360, 25, 250, "vp9", "video/webm"),
    ("intersection.mp4", 1280, 720, 24, 240, "hevc", "video/mp4"),
    ("parking.mp4", 854, 480, 15, 150, "h264", "video/mp4"),
)


def video_attributes(
    width: int, height: int, rate: int, count: int, codec: str, mime: str
) -> dict[str, Any]:
    """Stored attributes of a video row (no file is made: no video writer is available)."""
    return {
        "mime_type": mime,
        "frame_rate": rate,
        "frame_count": count,
        "width": width,
        "height": height,
        "duration": round(count / rate, 3),
        "codec": codec,
        "asset_type": "video",
    }


def make_media(directory: Path) -> dict[str, Path]:
    """Write the demo's media files into ``directory`` (created if missing); return their paths.

    Keys: ``street_jpg``, ``rotated_jpg`` (EXIF orientation 6), ``diagram_png``,
    ``speech_wav`` (1.5 s mono 16 kHz), ``chime_wav`` (0.75 s stereo 8 kHz), ``invoice_pdf``
    (2 pages: 612x792 and 842x595 points), ``article_txt``, ``policy_html``,
    ``conversation_json``, ``tile_layer_json``. Paths are absolute.
    """
    directory = Path(directory).absolute()
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for key, (name, width, height, orientation) in IMAGES.items():
        out[key] = _write_image(directory / name, width, height, orientation)
    for key, (name, seconds, rate, channels) in WAVS.items():
        out[key] = _write_wav(directory / name, seconds, rate, channels)
    out["invoice_pdf"] = _write_pdf(directory / "invoice.pdf", PDF_PAGES)
    out["article_txt"] = _write_text(directory / "article.txt", TEXT)
    out["policy_html"] = _write_text(directory / "policy.html", HTML_PAGE)
    out["conversation_json"] = _write_bytes(
        directory / "conversation.json", orjson.dumps(CONVERSATION, option=orjson.OPT_INDENT_2)
    )
    out["tile_layer_json"] = _write_bytes(
        directory / "tile_layer.json", orjson.dumps(TILE_LAYER, option=orjson.OPT_INDENT_2)
    )
    return out


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_image(path: Path, width: int, height: int, orientation: int | None) -> Path:
    """A street-like scene: sky, road, a car-like box, a lane line (what the labels mark)."""
    img = Image.new("RGB", (width, height), (135, 185, 235))
    draw = ImageDraw.Draw(img)
    horizon = height // 2
    draw.rectangle((0, horizon, width, height), fill=(70, 70, 75))
    draw.line((width // 2, height - 1, width // 2, horizon), fill=(250, 250, 250), width=4)
    draw.rectangle((width // 8, horizon + 20, width // 8 + 90, horizon + 70), fill=(200, 30, 30))
    draw.ellipse((width - 60, 20, width - 30, 50), fill=(255, 220, 0))
    if path.suffix == ".png":
        img.save(path, format="PNG")
        return path
    exif = Image.Exif()
    if orientation is not None:
        exif[EXIF_ORIENTATION] = orientation
    img.save(path, format="JPEG", quality=85, exif=exif.tobytes())
    return path


def _write_wav(path: Path, seconds: float, rate: int, channels: int) -> Path:
    """A 16-bit sine tone (440 Hz, 660 Hz on a second channel)."""
    frames = round(seconds * rate)
    samples = bytearray()
    for i in range(frames):
        for ch in range(channels):
            freq = 440.0 * (1 + 0.5 * ch)
            value = int(12000 * math.sin(2 * math.pi * freq * i / rate))
            samples += struct.pack("<h", value)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return path


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _write_pdf(path: Path, pages: Sequence[tuple[int, int, str]]) -> Path:
    """A minimal valid PDF: catalog, page tree, one page + content stream per page, a font,
    an xref table with the objects' real byte offsets, and the trailer."""
    font_obj = 3 + 2 * len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
    ]
    for i, (width, height, text) in enumerate(pages):
        content = f"BT /F1 18 Tf 72 {height - 72} Td ({_pdf_text(text)}) Tj ET\n".encode()
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}]"
                f" /Resources << /Font << /F1 {font_obj} 0 R >> >> /Contents {4 + 2 * i} 0 R >>"
            ).encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    body = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref_at = len(body)
    body += b"xref\n0 %d\n" % (len(objects) + 1)
    body += b"0000000000 65535 f \n"
    for offset in offsets:
        body += b"%010d 00000 n \n" % offset
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    body += b"startxref\n%d\n%%%%EOF\n" % xref_at
    path.write_bytes(bytes(body))
    return path


_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]")


def pdf_media_boxes(data: bytes) -> list[tuple[float, float]]:
    """``(width, height)`` of every page object's MediaBox, in file order (a regex, no parser)."""
    return [
        (float(m[3]) - float(m[1]), float(m[4]) - float(m[2])) for m in _MEDIA_BOX.finditer(data)
    ]


def probe_media(paths: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Media attributes of each file of :func:`make_media`, read back from the files."""
    out: dict[str, dict[str, Any]] = {}
    for key in IMAGES:
        with Image.open(paths[key]) as img:
            width, height = img.size
            orientation = img.getexif().get(EXIF_ORIENTATION, 1)
            mime = Image.MIME[img.format or "JPEG"]
        out[key] = {
            "height": height,
            "width": width,
            "asset_type": "image",
            "mime_type": mime,
            "exif_rotation": str(orientation),
        }
    for key in WAVS:
        with wave.open(str(paths[key]), "rb") as wav:
            rate, frames, channels = wav.getframerate(), wav.getnframes(), wav.getnchannels()
        out[key] = {
            "asset_type": "audio",
            "mime_type": "audio/wav",
            "duration_ms": round(frames * 1000 / rate),
            "sample_rate": rate,
            "channels": channels,
        }
    boxes = pdf_media_boxes(paths["invoice_pdf"].read_bytes())
    out["invoice_pdf"] = {
        "asset_type": "pdf",
        "mime_type": "application/pdf",
        "page_count": len(boxes),
    }
    out["article_txt"] = {"mime_type": "text/plain"}
    out["policy_html"] = {"asset_type": "html", "mime_type": "text/html"}
    messages = orjson.loads(paths["conversation_json"].read_bytes())["messages"]
    out["conversation_json"] = {
        "asset_type": "conversational",
        "mime_type": "application/vnd.labelbox.conversational",
        "labelable_ids": [m["messageId"] for m in messages if m.get("canLabel")],
        "message_count": len(messages),
    }
    out["tile_layer_json"] = {"mime_type": "application/x-tms-geo"}
    return out
