"""Colours and options of the review window, shared by its views."""

from __future__ import annotations

from dataclasses import dataclass

BG = "#1e1e1e"
FG = "#e8e8e8"
ERROR_FG = "#ff6b6b"
SET_COLOURS = {
    "clean": "#4caf50",
    "questionable": "#ffb300",
    "rejected": "#e53935",
    "to_label": "#90a4ae",
    "front": "#4caf50",
    "front_angled": "#ffb300",
    "other": "#e53935",
}


@dataclass(frozen=True)
class UiOptions:
    ahead: int = 8  # images decoded ahead of the current one (0: decode on the key press)
    behind: int = 2  # and behind it, for the back arrow
    workers: int = 2
    cache: int = 32  # decoded images kept (full-size ones are about 2.7 MB each)
    grid: int = 4  # grid view is grid x grid thumbnails
    size: tuple[int, int] = (1200, 780)  # image area in pixels
    apply_on_close: bool = True
    rescan_ms: int = 2000
