"""The review window: one image large, its name, set, scores and progress; keys decide.

All decisions go through `ReviewSession`; this module only draws and routes keys. PIL images come
decoded and resized from the background `Prefetcher`; only the PhotoImage (which Tk requires on
its own thread) is made here, ahead of time for the next image when Tk is idle.
"""

from __future__ import annotations

import sys
import time
import tkinter as tk
import traceback
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType

from PIL import ImageTk

from review_tool.folder import describe_record
from review_tool.images import Box, Loaded, Prefetcher, load_fitted
from review_tool.keys import KeyMap
from review_tool.session import ReviewSession
from review_tool.ui_grid import GridView
from review_tool.ui_help import HelpOverlay
from review_tool.ui_style import BG, ERROR_FG, FG, SET_COLOURS, UiOptions


class ReviewWindow:
    def __init__(
        self, root: tk.Tk, session: ReviewSession, keymap: KeyMap, options: UiOptions
    ) -> None:
        self.root, self.session, self.keymap, self.options = root, session, keymap, options
        self.prefetcher = Prefetcher(options.workers, options.cache)
        # PhotoImages by the decoded image they show (kept alive with it, so ids stay unique).
        self.photos: OrderedDict[int, tuple[Loaded, ImageTk.PhotoImage]] = OrderedDict()
        self.on_shown: Callable[[str | None, float], None] | None = None  # benchmark/test hook
        self.key_time = 0.0
        self.last_shown: str | None = None  # the image on screen (or its message), for tests
        self._poll_token = 0
        self._build()
        self.help = HelpOverlay(self.canvas, keymap)
        self.grid = GridView(self, options.grid)
        self.box: Box = (options.size[0] - 8, options.size[1] - 8)
        root.report_callback_exception = self._report_error
        root.protocol("WM_DELETE_WINDOW", self.quit)
        root.bind("<KeyPress>", self.on_key)
        self.canvas.bind("<Configure>", self._on_resize)
        notices = [*session.warnings, session.not_applied_notice()]
        notices = [n for n in notices if n]
        self.set_message("  ".join(notices) or "press h for the keys", bool(notices))
        self.show()
        root.after(options.rescan_ms, self._rescan)

    # ---- widgets
    def _label(self, font: tuple[str, int] | tuple[str, int, str]) -> tk.Label:
        label = tk.Label(self.root, bg=BG, fg=FG, font=font, anchor="w", padx=10)
        label.pack(fill="x")
        return label

    def _build(self) -> None:
        mode = "labelling" if self.session.kind == "label" else "review"
        self.root.title(f"scars {mode}: {self.session.folder}")
        self.root.configure(bg=BG)
        self.title = self._label(("DejaVu Sans", 14, "bold"))
        width, height = self.options.size
        self.canvas = tk.Canvas(self.root, width=width, height=height, bg=BG, highlightthickness=0)
        self.canvas.pack(fill="both", expand=True)
        self.image_item = self.canvas.create_image(width // 2, height // 2, anchor="center")
        self.text_item = self.canvas.create_text(
            width // 2, height // 2, fill=ERROR_FG, font=("DejaVu Sans", 16), width=width - 80
        )
        self.scores = self._label(("DejaVu Sans", 12))
        self.progress = self._label(("DejaVu Sans Mono", 12))
        self.message = self._label(("DejaVu Sans", 11))
        # A long message (files named, warnings) wraps instead of widening the window.
        self.message.configure(wraplength=width - 20, justify="left")

    def set_message(self, text: str, error: bool = False) -> None:
        self.message.configure(text=text, fg=ERROR_FG if error else "#9e9e9e")

    def _report_error(
        self, exc: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        # Whatever goes wrong in a key handler is shown, never a dead window.
        traceback.print_exception(exc, value, tb, file=sys.stderr)
        self.set_message(f"error: {value}", error=True)

    # ---- showing the current image
    def show(self) -> None:
        session = self.session
        self.progress.configure(text=session.progress_text())
        if self.grid.active:
            self.grid.draw()
            return
        image_id = session.current
        if image_id is None:
            self._show_text("no images to review in this folder", None)
            self.title.configure(text=str(session.folder))
            return
        self._update_labels(image_id)
        path = session.path(image_id)
        if path is None:
            self._show_text(
                f"{image_id}: file is gone (moved or deleted by another program)", image_id
            )
        elif self.options.ahead == 0:
            self._display(image_id, load_fitted(path, self.box))  # no prefetching: decode now
        else:
            self._show_future(image_id, self.prefetcher.request(path, self.box))
            self._prefetch_around()

    def _update_labels(self, image_id: str) -> None:
        session = self.session
        where = session.location(image_id) or "gone"
        decided = session.decision(image_id)
        decision = f"   → {decided}" if decided else ""
        if decided and (stuck := session.not_applicable(image_id)) is not None:
            decision += f" ({stuck.why}: will not be applied, decide it again)"
        name = session.path(image_id)
        mode = "labelling   " if session.kind == "label" else ""
        self.title.configure(
            text=f"{mode}{name.name if name else image_id}   [{where}]{decision}",
            fg=SET_COLOURS.get(decided or where, FG),
        )
        self.scores.configure(text=describe_record(session.record(image_id)))

    def _show_future(self, image_id: str, future: Future[Loaded]) -> None:
        self._poll_token += 1
        if future.done() and not future.cancelled():
            self._display(image_id, future.result())
        else:
            self._show_text("loading…", None, fg=FG)
            self._poll(image_id, future, self._poll_token)

    def _poll(self, image_id: str, future: Future[Loaded], token: int) -> None:
        if token != self._poll_token or self.session.current != image_id:
            return  # the person moved on
        if future.cancelled():
            self.show()
        elif future.done():
            self._display(image_id, future.result())
        else:
            self.root.after(4, self._poll, image_id, future, token)

    def _display(self, image_id: str, loaded: Loaded) -> None:
        if loaded.image is None:
            hint = self.keymap.keys.get("rejected", [""])[0]
            tail = f"\n\npress {hint} to reject it" if hint else ""
            self._show_text(f"{loaded.path.name}: {loaded.error}{tail}", image_id)
            return
        photo = self.photo_for(loaded)
        self.canvas.itemconfigure(self.text_item, text="")
        self.canvas.itemconfigure(self.image_item, image=photo)
        self._shown(image_id)

    def _show_text(self, text: str, image_id: str | None, fg: str = ERROR_FG) -> None:
        self.canvas.itemconfigure(self.image_item, image="")
        self.canvas.itemconfigure(self.text_item, text=text, fill=fg)
        if image_id is not None:
            self._shown(image_id)

    def _shown(self, image_id: str) -> None:
        self.root.update_idletasks()  # draw now, so the timestamp is when it is on screen
        self.last_shown = image_id
        if self.on_shown is not None:
            self.on_shown(image_id, time.perf_counter())
        self.root.after_idle(self._warm_next)

    def photo_for(self, loaded: Loaded) -> ImageTk.PhotoImage:
        assert loaded.image is not None
        key = id(loaded)
        entry = self.photos.get(key)
        if entry is None:
            entry = (loaded, ImageTk.PhotoImage(loaded.image))
            self.photos[key] = entry
        self.photos.move_to_end(key)
        while len(self.photos) > 4 + self.options.grid**2:  # the shown, the next, thumbnails
            self.photos.popitem(last=False)
        return entry[1]

    def _warm_next(self) -> None:
        """While idle, make the PhotoImage of the next image if it is decoded already."""
        nxt = self.session.position + 1
        if self.grid.active or nxt >= len(self.session):
            return
        path = self.session.path(self.session.order[nxt])
        future = None if path is None else self.prefetcher.peek(path, self.box)
        if future is None or not future.done() or future.cancelled():
            return
        if future.result().image is not None:
            self.photo_for(future.result())

    def _prefetch_around(self) -> None:
        session, pos = self.session, self.session.position
        order = [pos, *range(pos + 1, pos + 1 + self.options.ahead)]
        order += range(pos - 1, pos - 1 - self.options.behind, -1)
        ids = [session.order[i] for i in order if 0 <= i < len(session)]
        paths = [p for p in map(session.path, ids) if p is not None]
        self.prefetcher.prefetch(paths, self.box)

    # ---- keys
    def on_key(self, event: tk.Event) -> None:
        self.key_time = time.perf_counter()
        action = self.keymap.action(event.keysym, int(event.state))
        if action is None:
            return
        if self.help.visible and action != "quit":
            self.help.hide()
            if action in ("help", "close"):
                return
        if self.grid.active and self.grid.on_action(action):
            return
        self.do(action)

    def do(self, action: str) -> None:
        session = self.session
        if action in session.targets:
            was_last = session.position == len(session) - 1
            decided = session.decide_current(action)
            if decided.gone:
                self.set_message(decided.message(), error=True)
            elif decided.group is not None and was_last:
                self._at_end()
        elif action in ("next", "prev", "page_next", "page_prev"):
            step = {"next": 1, "prev": -1, "page_next": 10, "page_prev": -10}[action]
            session.go(step)
        elif action == "next_undecided":
            session.next_undecided()
        elif action == "undo":
            self._undo()
        else:
            self._command(action)
            return
        self.show()

    def _at_end(self) -> None:
        undecided = self.session.counts()["undecided"]
        self.set_message(f"last image; {undecided:,} undecided (n jumps to the next undecided)")

    def _undo(self) -> None:
        group = self.session.undo()
        if group is None:
            self.set_message("nothing to undo")
        else:
            self.set_message(f"undone: {', '.join(group.image_ids[:5])}")

    def _command(self, action: str) -> None:
        if action == "help":
            self.help.show()
        elif action == "grid":
            self.grid.enter()
        elif action == "apply":
            self.apply()
        elif action == "quit":
            self.quit()

    def apply(self) -> None:
        if self.session.kind == "label":
            self.set_message("labelling writes its copies as you go: there is nothing to apply")
            return
        report = self.session.apply()
        details = report.details()
        for line in details:
            print(line, file=sys.stderr)
        more = f" (see the terminal for all {len(details)})" if len(details) > 2 else ""
        self.set_message("; ".join([report.summary(), *details[:2]]) + more, bool(details))
        self.show()

    # ---- the folder and the window
    def _rescan(self) -> None:
        try:
            changes = self.session.refresh()
            if changes.message():
                self.set_message(changes.message(), error=bool(changes.gone))
                self.show()
        finally:
            self.root.after(self.options.rescan_ms, self._rescan)

    def _on_resize(self, event: tk.Event) -> None:
        box = (max(event.width - 8, 32), max(event.height - 8, 32))
        self.canvas.coords(self.image_item, event.width // 2, event.height // 2)
        self.canvas.coords(self.text_item, event.width // 2, event.height // 2)
        self.canvas.itemconfigure(self.text_item, width=max(event.width - 80, 100))
        self.message.configure(wraplength=max(event.width - 20, 100))
        if box != self.box:
            self.box = box
            self.show()

    def quit(self) -> None:
        if self.options.apply_on_close and self.session.kind == "review":
            report = self.session.apply()
            print(report.summary())
            for line in report.details():
                print(line, file=sys.stderr)
        else:
            if notice := self.session.unapplied_notice():  # "" in label mode, or nothing pending
                print(notice)
            for stuck in self.session.plan().not_applied:
                print(stuck.line(), file=sys.stderr)
        self.close()

    def close(self) -> None:
        """Close without applying: stop timers first, so none fires into a destroyed window."""
        for job in self.root.tk.splitlist(self.root.tk.call("after", "info")):
            self.root.after_cancel(job)
        self.prefetcher.close()
        self.root.destroy()
