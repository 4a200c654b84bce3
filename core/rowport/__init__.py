"""rowport: self-hosted, streaming, pluggable export of annotated ML data rows."""

from __future__ import annotations

__version__ = "0.1.0"
