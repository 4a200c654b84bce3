"""PDF page sizes (with pypdf, imported when a PDF is first read): a pure function of bytes to
:data:`Pages`."""

from __future__ import annotations

import io

from rowport_plugins._media import MediaError

__all__ = ["Pages", "page_sizes"]

Pages = list[tuple[float, float]]


def page_sizes(data: bytes) -> Pages:
    """``(width, height)`` in points of every page of the PDF ``data``.

    :raises MediaError: ``MEDIA_UNREADABLE`` when pypdf cannot read it.
    """
    from pypdf import PdfReader  # here, not at the top: only document rows need pypdf

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        out: Pages = []
        for page in reader.pages:
            box = page.cropbox
            width, height = abs(float(box.width)), abs(float(box.height))
            if (page.rotation or 0) % 180 == 90:
                width, height = height, width
            out.append((width, height))
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(
            "MEDIA_UNREADABLE", f"not a readable PDF: {type(exc).__name__}: {exc}"
        ) from None
    if not out:
        raise MediaError("MEDIA_UNREADABLE", "the PDF has no pages")
    return out
