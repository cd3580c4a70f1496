"""Small self-contained HTML pages: tables and contact sheets of thumbnails.

Thumbnails are embedded as data URIs so that a report is one file a person can open, move or
send without the images next to it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

__all__ = ["Thumb", "contact_sheet", "esc", "page", "table", "thumbnail_uri"]

STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
.sheet { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 1.5em; }
figure { margin: 0; width: 170px; font-size: 11px; overflow-wrap: anywhere; }
figure img { max-width: 160px; max-height: 160px; display: block; }
.next { border: 2px solid #4caf50; padding: 0.3em 1em 0.8em; margin: 1em 0; max-width: 60em; }
.next code div { white-space: pre; }
"""


@dataclass(frozen=True)
class Thumb:
    """One picture of a contact sheet and the caption under it."""

    path: Path
    caption: str


def thumbnail_uri(path: Path, size: int = 160) -> str | None:
    """A JPEG data URI of `path` shrunk to fit `size`, or None if it cannot be read."""
    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (size, size))  # JPEG decodes at reduced scale: much faster
            image = opened.convert("RGB")
            image.thumbnail((size, size))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def contact_sheet(thumbs: Iterable[Thumb], size: int = 160) -> str:
    """A wrapping row of thumbnails with captions; unreadable files say so instead."""
    figures = []
    for thumb in thumbs:
        uri = thumbnail_uri(thumb.path, size)
        picture = f'<img src="{uri}" alt="">' if uri else "<em>(unreadable)</em>"
        figures.append(f"<figure>{picture}<figcaption>{esc(thumb.caption)}</figcaption></figure>")
    return '<div class="sheet">' + "".join(figures) + "</div>"


def table(
    header: Sequence[str], rows: Iterable[Sequence[object]], text_columns: Sequence[int] = ()
) -> str:
    """Numbers align right; the first column and `text_columns` hold words and align left."""
    head = "".join(f"<th>{esc(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="text">{esc(cell)}</td>' if i in text_columns else f"<td>{esc(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, sections: Iterable[str]) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


def esc(value: object) -> str:
    return html.escape(str(value))
