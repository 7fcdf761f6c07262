"""User-facing errors: one clear line, shown by the CLI without a traceback."""


class FoleyError(Exception):
    """An error caused by the user's input or environment (bad file, bad flag, ...).

    The message is a single line that names the offending file or value and the problem.
    """


class MediaError(FoleyError):
    """A media file cannot be read, decoded or written."""
