r"""Text for the terminal: names and keys people typed, with their control characters escaped.

A scenario's name, a key path or a value in an error can hold any character,
among them escape sequences that would recolour, move the cursor in or rewrite
the terminal (``\x1b[2J``), a carriage return that hides the start of a line,
or a right-to-left override that shows a name backwards. The command line
prints every such text through :func:`plain`, which shows those characters as
escapes (``\x1b``) and keeps everything else as it is.
"""

from __future__ import annotations

import unicodedata

__all__ = ["plain"]

# Control characters (Cc), format characters such as the bidirectional overrides
# (Cf), and the line and paragraph separators a terminal may break lines at.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def plain(text: str, *, one_line: bool = False) -> str:
    r"""``text`` with every control or format character shown as an escape.

    Args:
        text: what to print.
        one_line: escape line ends too (an error message is one line);
            otherwise ``\n`` is kept (a table of several lines).
    """
    out = []
    for ch in text:
        if ch == "\n" and not one_line:
            out.append(ch)
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES:
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)
