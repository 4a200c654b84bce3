"""Format parsers of the media-type plugins: pure functions from bytes (or a row's text) to
attrs records, with their heavy imports (pypdf...) inside them. No hooks here: each plugin
imports the parsers it needs (``mp4``, ``wav``, ``pdf``, ``html``, ``tiles``)."""
