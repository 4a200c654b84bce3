"""The built-in training formats, one module each (see ``docs/formats.md``).

Each module registers its :class:`rowport.formats.FormatSpec` with ``trylast``, so a plugin
that registers a format of the same name replaces the built-in.
"""
