"""The grid view: pages of n x n thumbnails, a keyboard cursor, marks for bulk decisions.

The cursor is the session's position, so leaving the grid shows the image the cursor was on. A
decision key decides every marked thumbnail at once (one undo step), or the one under the cursor
when nothing is marked.
"""

from __future__ import annotations

import tkinter.font as tkfont
from collections.abc import Callable
from typing import TYPE_CHECKING

from review_tool.folder import describe_record
from review_tool.images import Box
from review_tool.ui_style import SET_COLOURS

if TYPE_CHECKING:
    from review_tool.ui_window import ReviewWindow

TAG = "grid"
MOVES = {"next": 1, "prev": -1}


class GridView:
    def __init__(self, window: ReviewWindow, n: int) -> None:
        self.window = window
        self.n = max(1, n)
        self.active = False
        self.marked: set[str] = set()
        self._token = 0
        self._caption_font = tkfont.Font(root=window.root, family="DejaVu Sans", size=10)

    @property
    def per_page(self) -> int:
        return self.n * self.n

    def enter(self) -> None:
        self.active = True
        self.marked.clear()
        self.window.show()

    def leave(self) -> None:
        self.active = False
        self.window.canvas.delete(TAG)
        self.window.show()

    def cell_size(self) -> tuple[int, int]:
        canvas = self.window.canvas
        return max(canvas.winfo_width(), 64) // self.n, max(canvas.winfo_height(), 64) // self.n

    def thumb_box(self) -> Box:
        cw, ch = self.cell_size()
        return max(cw - 14, 16), max(ch - 34, 16)

    # ---- keys
    def on_action(self, action: str) -> bool:
        """Handle a key's action in the grid; False leaves it to the window (help, apply, quit)."""
        session = self.window.session
        if action in ("grid", "close"):
            self.leave()
        elif action in session.targets:
            self._decide(action)
        elif action == "mark":
            self._toggle_mark()
        elif action in ("next", "prev", "up", "down", "page_next", "page_prev"):
            steps = {"up": -self.n, "down": self.n, "page_next": self.per_page}
            steps |= {"page_prev": -self.per_page, **MOVES}
            session.go(steps[action])
        elif action == "undo":
            self.window.do("undo")
            return True
        elif action == "next_undecided":
            session.next_undecided()
        else:
            return False
        self.window.show()
        return True

    def _toggle_mark(self) -> None:
        image_id = self.window.session.current
        if image_id is not None:
            self.marked ^= {image_id}
            self.window.session.go(1)

    def _decide(self, target: str) -> None:
        session = self.window.session
        marked = [i for i in session.order if i in self.marked]
        chosen = marked or ([session.current] if session.current is not None else [])
        if not chosen:
            return
        decided = session.decide(chosen, target)
        if not self.marked and decided.group is not None:
            session.go(1)
        self.marked.clear()
        count = len(decided.group.entries) if decided.group is not None else 0
        said = [f"{count:,} image(s) → {target}", decided.message()]
        self.window.set_message("; ".join(m for m in said if m), error=bool(decided.gone))

    # ---- drawing
    def draw(self) -> None:
        window, session = self.window, self.window.session
        canvas = window.canvas
        canvas.delete(TAG)
        canvas.itemconfigure(window.image_item, image="")
        canvas.itemconfigure(window.text_item, text="")
        start = session.position - session.position % self.per_page
        pending = [
            self._draw_cell(k, start + k) for k in range(self.per_page) if start + k < len(session)
        ]
        self._title(start)
        self._prefetch_next_page(start)
        self._token += 1
        if any(pending):
            window.root.after(15, self._redraw_when_loaded, self._token)

    def _title(self, start: int) -> None:
        session = self.window.session
        pages = max(1, -(-len(session) // self.per_page))
        marked = f"   {len(self.marked):,} marked" if self.marked else ""
        self.window.title.configure(
            text=f"grid   page {start // self.per_page + 1:,} / {pages:,}{marked}",
            fg="#e8e8e8",
        )
        image_id = session.current
        if image_id is not None:
            where = session.location(image_id) or "gone"
            record = describe_record(session.record(image_id))
            self.window.scores.configure(text=f"{image_id} [{where}]   {record}")

    def _draw_cell(self, k: int, index: int) -> bool:
        """Draw one thumbnail cell; True when its image is still being decoded."""
        session = self.window.session
        cw, ch = self.cell_size()
        x0, y0 = (k % self.n) * cw, (k // self.n) * ch
        image_id = session.order[index]
        decided = session.decision(image_id)
        colour = SET_COLOURS.get(decided or "", "#424242")
        self._frame(x0, y0, 3, colour, 3)
        loading = self._draw_thumb(image_id, x0 + cw // 2, y0 + (ch - 20) // 2)
        mark = "✓ " if image_id in self.marked else ""
        caption = fit_caption(mark + image_id, decided, self._caption_font.measure, cw - 10)
        self.window.canvas.create_text(
            x0 + cw // 2, y0 + ch - 14, text=caption, fill=colour if decided else "#bdbdbd",
            font=self._caption_font, tags=TAG,
        )  # fmt: skip
        if image_id in self.marked:
            self._frame(x0, y0, 8, "#42a5f5", 4, dash=(6, 4))
        if index == session.position:
            self._frame(x0, y0, 1, "#ffffff", 5)
        return loading

    def _frame(
        self, x0: int, y0: int, inset: int, colour: str, width: int, dash: tuple[int, ...] = ()
    ) -> None:
        cw, ch = self.cell_size()
        box = (x0 + inset, y0 + inset, x0 + cw - inset, y0 + ch - inset)
        self.window.canvas.create_rectangle(*box, outline=colour, width=width, dash=dash, tags=TAG)

    def _draw_thumb(self, image_id: str, cx: int, cy: int) -> bool:
        window = self.window
        path = window.session.path(image_id)
        if path is None:
            text = "gone"
        else:
            future = window.prefetcher.request(path, self.thumb_box())
            if not future.done() or future.cancelled():
                text = "…"
            elif (loaded := future.result()).image is None:
                text = "unreadable"
            else:
                photo = window.photo_for(loaded)
                window.canvas.create_image(cx, cy, image=photo, anchor="center", tags=TAG)
                return False
        window.canvas.create_text(
            cx, cy, text=text, fill="#ff6b6b", font=("DejaVu Sans", 12), tags=TAG
        )
        return text == "…"

    def _prefetch_next_page(self, start: int) -> None:
        session = self.window.session
        indices = range(start, min(start + 2 * self.per_page, len(session)))
        paths = [p for p in (session.path(session.order[i]) for i in indices) if p is not None]
        self.window.prefetcher.prefetch(paths, self.thumb_box())

    def _redraw_when_loaded(self, token: int) -> None:
        if token == self._token and self.active:
            self.draw()


def fit_caption(name: str, decided: str | None, measure: Callable[[str], int], width: int) -> str:
    """`name → decided` within `width` pixels: the decision shortened to its first letter if
    need be (the frame's colour says it too), then the name cut with an ellipsis."""
    suffixes = [f" → {decided}", f" → {decided[0]}"] if decided else [""]
    for suffix in suffixes:
        if measure(name + suffix) <= width:
            return name + suffix
    suffix = suffixes[-1]
    for end in range(len(name) - 1, 0, -1):
        if measure(name[:end] + "…" + suffix) <= width:
            return name[:end] + "…" + suffix
    return name[:1] + "…" + suffix
