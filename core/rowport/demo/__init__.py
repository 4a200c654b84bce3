"""The demo: real media files, a catalog with all eight media types, and exports of it.

``rowport demo`` calls :func:`run_demo`; tests and notebooks can call the pieces:

>>> media = make_media(Path("media"))                     # files made locally
>>> demo = build_demo(rowport.Client("home"), Path("media"), bulk_rows=100)
>>> demo.project_ids["video"]
"""

from __future__ import annotations

from rowport.demo._build import BrokenRow, DemoCatalog, build_demo
from rowport.demo._media import make_media
from rowport.demo._run import ExportSummary, run_demo

__all__ = ["BrokenRow", "DemoCatalog", "ExportSummary", "build_demo", "make_media", "run_demo"]
