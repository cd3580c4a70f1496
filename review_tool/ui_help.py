"""The help overlay: every key of the current mode, drawn over the image."""

from __future__ import annotations

import tkinter as tk

from review_tool.keys import KeyMap

TAG = "help"


class HelpOverlay:
    def __init__(self, canvas: tk.Canvas, keymap: KeyMap) -> None:
        self.canvas = canvas
        self.keymap = keymap
        self.visible = False

    def text(self) -> str:
        lines = [f"{keys:<24} {what}" for keys, what in self.keymap.help_lines()]
        source = self.keymap.source or "built-in defaults (see --print-keys)"
        closing = "h or Escape closes this; any other key closes it and does its job"
        return "\n".join(["Keys", "", *lines, "", f"from: {source}", closing])

    def show(self) -> None:
        self.hide()
        width, height = self.canvas.winfo_width(), self.canvas.winfo_height()
        self.canvas.create_rectangle(
            40, 30, width - 40, height - 30, fill="#101010", outline="#607d8b", width=2, tags=TAG
        )
        self.canvas.create_text(
            70,
            55,
            text=self.text(),
            anchor="nw",
            fill="#f0f0f0",
            font=("DejaVu Sans Mono", 13),
            tags=TAG,
        )
        self.visible = True

    def hide(self) -> None:
        self.canvas.delete(TAG)
        self.visible = False
