"""Drive a real review window in-process: send key events, wait for images, take screenshots."""

from __future__ import annotations

import os
import time
import tkinter as tk
from collections.abc import Callable

from PIL import Image, ImageGrab

from review_tool.keys import load_keymap
from review_tool.session import ReviewSession
from review_tool.ui_style import UiOptions
from review_tool.ui_window import ReviewWindow

Colour = tuple[int, int, int]


class WindowHarness:
    def __init__(self, session: ReviewSession, **options: object) -> None:
        self.root = tk.Tk()
        self.root.geometry("+0+0")
        opts = {"size": (800, 600), "apply_on_close": False, **options}
        self.window = ReviewWindow(
            self.root,
            session,
            load_keymap(session.kind),
            UiOptions(**opts),  # type: ignore[arg-type]
        )
        self.shown: list[str | None] = []
        self.window.on_shown = lambda image_id, _t: self.shown.append(image_id)
        self.alive = True
        self.root.bind("<Destroy>", self._destroyed, add="+")

    def _destroyed(self, event: tk.Event) -> None:
        if event.widget is self.root:
            self.alive = False

    def pump(self, until: Callable[[], bool] | None = None, timeout: float = 10.0) -> bool:
        """Run Tk's event loop until `until()` holds (or, without it, for a short while)."""
        deadline = time.monotonic() + (timeout if until else 0.15)
        while time.monotonic() < deadline:
            if not self.alive:
                return until() if until else True
            self.root.update()
            if until is not None and until():
                return True
            time.sleep(0.005)
        return until() if until else True

    def key(self, keysym: str, state: int = 0) -> None:
        self.root.event_generate("<KeyPress>", keysym=keysym, state=state)
        self.pump()

    def wait_shown(self, image_id: str) -> None:
        ok = self.pump(lambda: self.window.last_shown == image_id)
        assert ok, f"{image_id} was not shown; shown: {self.shown[-5:]}"
        self.pump()

    def canvas_text(self) -> str:
        return str(self.window.canvas.itemcget(self.window.text_item, "text"))

    def shot(self) -> Image.Image:
        """A screenshot of the image area, taken from the X server."""
        canvas = self.window.canvas
        self.root.update()
        x, y = canvas.winfo_rootx(), canvas.winfo_rooty()
        box = (x, y, x + canvas.winfo_width(), y + canvas.winfo_height())
        return ImageGrab.grab(bbox=box, xdisplay=os.environ["DISPLAY"]).convert("RGB")

    def close(self) -> None:
        if self.alive:
            self.window.close()
            self.alive = False


def fraction_near(image: Image.Image, colour: Colour, tolerance: int = 45) -> float:
    """The share of pixels within `tolerance` (sum of channel differences) of `colour`."""
    small = image.resize((160, 120), Image.Resampling.NEAREST)
    pixels = list(small.get_flattened_data())
    near = sum(
        1 for p in pixels if sum(abs(a - b) for a, b in zip(p, colour, strict=True)) <= tolerance
    )
    return near / len(pixels)
