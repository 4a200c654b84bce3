"""``rowport serve``: the export service over HTTP."""
