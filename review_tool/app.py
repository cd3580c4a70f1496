"""`python review_tool/app.py data/final/<model>`: review a model's sets, or label crops (--label).

Decisions are appended to `<folder>/review_log.jsonl` as they are made; applying them moves files
between `clean/`, `questionable/` and `rejected/` (key `A`, on closing the window, or `--apply`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: Python put review_tool/ on sys.path, the imports need the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filtering.arguments import BriefParser
from filtering.classes import NOT_FRONT
from filtering.records import SETS
from review_tool.folder import FolderError, set_folder
from review_tool.keys import KeyConfigError, default_keys_toml, find_keys_file, load_keymap
from review_tool.log import LABEL, REVIEW, LogError
from review_tool.session import ReviewSession, SessionConfig

REVIEW_SETS = "clean,questionable,rejected"
LABEL_SETS = "to_label,clean,questionable"


MIN_WINDOW = 100  # pixels a side: smaller leaves no room for the image


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT in pixels, e.g. 1200x780")
    if int(width) < MIN_WINDOW or int(height) < MIN_WINDOW:
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be at least {MIN_WINDOW} px")
    return int(width), int(height)


def _count(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}")
        return int(text)

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = BriefParser(prog="review_tool", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, nargs="?", help="a data/final/<model> folder")
    p.add_argument("--label", action="store_true", help="label crops front/front_angled/other")
    p.add_argument("--labels", type=Path, help="label output (default <data>/labels/<model>)")
    p.add_argument(
        "--sets",
        help=f"sets to show (default {REVIEW_SETS}; --label: {LABEL_SETS}); with --label, "
        f"{NOT_FRONT} shows the crops the classifier rejected",
    )
    p.add_argument("--keys", type=Path, help="key config file (TOML or JSON)")
    p.add_argument("--print-keys", action="store_true", help="print the default key config")
    p.add_argument("--apply", action="store_true", help="apply logged decisions, no window")
    p.add_argument(
        "--no-apply-on-close",
        dest="apply_on_close",
        action="store_false",
        help="closing the window does not move files (apply with A or --apply)",
    )
    p.add_argument(
        "--ahead", type=_count(1, 256), default=8, help="images decoded ahead (default 8)"
    )
    p.add_argument("--workers", type=_count(1, 64), default=2, help="decoding threads (default 2)")
    p.add_argument("--grid", type=_count(2, 10), default=4, help="grid view is N x N (default 4)")
    p.add_argument(
        "--size",
        type=_size,
        default=(1200, 780),
        help="image area WxH in pixels (default 1200x780)",
    )
    args = p.parse_args(argv)
    if args.folder is None and not args.print_keys:
        p.error("the folder to review is required, e.g. data/final/<model>")
    return args


def session_config(args: argparse.Namespace) -> SessionConfig:
    folder = args.folder
    sets = tuple(
        s for s in (args.sets or (LABEL_SETS if args.label else REVIEW_SETS)).split(",") if s
    )
    unknown = [s for s in sets if s not in (*SETS, NOT_FRONT)]
    if unknown or not sets:
        known = ",".join((*SETS, NOT_FRONT))
        raise FolderError(f"--sets {args.sets!r}: unknown set(s) {unknown}; known: {known}")
    if not args.label:
        if NOT_FRONT in sets:
            raise FolderError(
                f"--sets {NOT_FRONT} is for --label only: the crops the classifier rejected are "
                "labelled (copied into the labels), never moved"
            )
        return SessionConfig(folder=folder, mode=REVIEW, sets=sets)
    labels = args.labels or folder.resolve().parent.parent / "labels" / folder.resolve().name
    return SessionConfig(folder=folder, mode=LABEL, sets=sets, labels_dir=labels)


def run_apply(session: ReviewSession) -> int:
    report = session.apply()
    print(report.summary())
    for line in report.details():
        print(line, file=sys.stderr)
    return 0


def run_window(session: ReviewSession, args: argparse.Namespace) -> int:
    import tkinter as tk

    from review_tool.ui_style import UiOptions
    from review_tool.ui_window import ReviewWindow

    keymap = load_keymap(session.kind, find_keys_file(args.keys, session.folder))
    options = UiOptions(
        ahead=args.ahead,
        workers=args.workers,
        grid=args.grid,
        size=args.size,
        apply_on_close=args.apply_on_close,
    )
    try:
        root = tk.Tk(className="scars-review")
    except tk.TclError as exc:
        print(f"review_tool: cannot open a window ({exc}); is DISPLAY set?", file=sys.stderr)
        return 2
    ReviewWindow(root, session, keymap, options)
    root.mainloop()
    return 0


def _where(set_name: str, folder: Path) -> str:
    """A set as a person finds it: `clean/ of <folder>`, or the crops the classifier rejected."""
    if set_name == NOT_FRONT:
        return f"{set_name} (the crops the classifier rejected, in {set_folder(folder, set_name)})"
    return f"{set_name}/ of {folder}"


def _nothing_to_review(session: ReviewSession, args: argparse.Namespace) -> str:
    wanted = ", ".join(_where(s, args.folder) for s in session.config.sets)
    message = f"nothing to review: no images in {wanted}"
    waiting = args.folder / "to_label"
    if not args.label and waiting.is_dir() and any(waiting.iterdir()):
        # The state after a first filtering run, before any classifier is trained.
        message += f"; the crops in {waiting} wait for labels: add --label to label them"
    return message


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.print_keys:
        print(default_keys_toml(), end="")
        return 0
    try:
        session = ReviewSession(session_config(args))
        for warning in session.warnings:
            print(f"review_tool: {warning}", file=sys.stderr)
        if args.apply:
            return run_apply(session)
        if len(session) == 0:
            print(f"review_tool: {_nothing_to_review(session, args)}", file=sys.stderr)
            return 1
        return run_window(session, args)
    except (FolderError, KeyConfigError, LogError) as exc:
        print(f"review_tool: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
