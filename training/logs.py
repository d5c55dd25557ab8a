"""Log records that cannot forge other records.

Request paths, headers and form values reach log messages (``Unhandled error on GET
/path``, the server's request line, a user agent). A control character in them (``%0a``
in a path decodes to a newline) would start what looks like a new log line. Every
record of the application's, Werkzeug's and Gunicorn's loggers is escaped here: control
characters (and Unicode line and paragraph separators) become visible escapes such as
``\\n`` or ``\\x1b``. A traceback attached to the record keeps its own lines.
"""

from __future__ import annotations

import logging
import unicodedata

from flask import Flask

# Loggers whose records carry request data: the request line and user agent of the
# development server and of Gunicorn's access and error logs.
SERVER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped_character(character: str) -> str:
    if character in _NAMED:
        return _NAMED[character]
    if unicodedata.category(character) in {"Cc", "Zl", "Zp"}:
        code = ord(character)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return character


def escape(text: str) -> str:
    """``text`` with every control character written as a visible escape."""
    if text.isprintable():
        return text
    return "".join(_escaped_character(character) for character in text)


class EscapeControlCharacters(logging.Filter):
    """Render the record's message now, with its control characters escaped."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as usual
            return True
        record.msg = escape(message)
        record.args = None
        return True


def _install(logger: logging.Logger) -> None:
    if not any(isinstance(f, EscapeControlCharacters) for f in logger.filters):
        logger.addFilter(EscapeControlCharacters())


def init_app(app: Flask) -> None:
    _install(app.logger)
    for name in SERVER_LOGGERS:
        _install(logging.getLogger(name))
