"""JSON pretty-printed as HTML, with large values folded so a 1 MB prompt never floods the page.

    json_html({"messages": [...]})  ->  Markup('<div class="json">…</div>')

Objects and arrays become ``<details>`` elements: open while small, closed once they hold more than
``fold_items`` entries or (below the top level) their JSON passes ``FOLD_CONTAINER_CHARS``. A string
longer than ``fold_chars`` shows its start and its length, and opens to the rest; so one long prompt
folds itself without hiding the messages around it. Everything is escaped; the output is safe to place in a template.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from markupsafe import Markup, escape

FOLD_CHARS: Final = 600
FOLD_ITEMS: Final = 25
FOLD_CONTAINER_CHARS: Final = 8000
MAX_DEPTH: Final = 40  # deeper values are shown as JSON text (they are rare and would nest forever)

_encode = msgspec.json.Encoder(order="deterministic").encode


def json_html(value: Any, *, fold_chars: int = FOLD_CHARS, fold_items: int = FOLD_ITEMS) -> Markup:
    """The value as an escaped HTML tree (see the module docstring)."""
    parts: list[str] = ['<div class="json">']
    _value(value, parts, fold_chars, fold_items, 0)
    parts.append("</div>")
    return Markup("".join(parts))


def _size(value: Any) -> int:
    try:
        return len(_encode(value))
    except (TypeError, msgspec.EncodeError):
        return len(repr(value))


def _value(value: Any, out: list[str], fold_chars: int, fold_items: int, depth: int) -> None:
    if isinstance(value, dict | list) and value and depth < MAX_DEPTH:
        is_dict = isinstance(value, dict)
        count = len(value)
        opener, closer = ("{", "}") if is_dict else ("[", "]")
        folded = count > fold_items or (depth > 0 and _size(value) > FOLD_CONTAINER_CHARS)
        noun = ("key" if is_dict else "item") + ("" if count == 1 else "s")
        out.append(f'<details class="j-c"{"" if folded else " open"}><summary>{opener}'
                   f'<span class="j-n">{count} {noun}</span></summary><div class="j-b">')
        items = value.items() if is_dict else enumerate(value)
        for key, item in items:
            out.append('<div class="j-i">')
            if is_dict:
                out.append(f'<span class="j-k">{escape(key)}</span>: ')
            _value(item, out, fold_chars, fold_items, depth + 1)
            out.append("</div>")
        out.append(f"</div>{closer}</details>")
    elif isinstance(value, str):
        if len(value) > fold_chars:
            head = escape(value[: fold_chars // 3])
            out.append(f'<details class="j-s j-long"><summary><span class="j-str">"{head}…"</span>'
                       f' <span class="j-n">{len(value):,} chars</span></summary>'
                       f'<span class="j-str">"{escape(value)}"</span></details>')
        else:
            out.append(f'<span class="j-str">"{escape(value)}"</span>')
    elif value is None:
        out.append('<span class="j-null">null</span>')
    elif isinstance(value, bool):
        out.append(f'<span class="j-bool">{"true" if value else "false"}</span>')
    elif isinstance(value, int | float):
        out.append(f'<span class="j-num">{value!r}</span>')
    elif isinstance(value, dict | list):
        out.append(f'<span class="j-raw">{escape(_encode(value).decode())}</span>')  # empty, or too deep
    else:
        out.append(f'<span class="j-raw">{escape(repr(value))}</span>')
