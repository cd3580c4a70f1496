"""The real window under Xvfb, driven by key events; screenshots and files checked after."""

from __future__ import annotations

import gc
import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from review_helpers import BLUE, GREEN, MAGENTA, RED, YELLOW, apply_from_command_line, write_image
from window_harness import WindowHarness, fraction_near

from review_tool.log import LABEL, LOG_NAME, DecideEvent, read_events
from review_tool.session import ReviewSession, SessionConfig

pytestmark = [pytest.mark.display, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parents[2]
SPEC = {"clean": {"a": RED, "b": GREEN}, "questionable": {"c": BLUE}}


@pytest.fixture
def harnesses(xvfb_display: str) -> Iterator[Callable[..., WindowHarness]]:
    opened: list[WindowHarness] = []

    def open_window(config: SessionConfig, **options: object) -> WindowHarness:
        harness = WindowHarness(ReviewSession(config), **options)
        opened.append(harness)
        return harness

    yield open_window
    for harness in opened:
        harness.close()
    # Free the closed windows' Tk objects here, in the main thread: a garbage collection that
    # happened to run in a decoding thread of a later window would delete them from that thread,
    # which makes Tcl abort the whole process.
    opened.clear()
    gc.collect()


def decisions_in_log(folder: Path) -> list[tuple[str, str]]:
    events = read_events(folder / LOG_NAME).events
    return [(e.image_id, e.target) for e in events if isinstance(e, DecideEvent)]


def test_keys_decide_advance_go_back_undo_and_apply(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    folder = make_final(SPEC)
    w = harnesses(SessionConfig(folder=folder))
    w.wait_shown("a")
    assert fraction_near(w.shot(), RED) > 0.8
    assert "a.jpg" in w.window.title.cget("text") and "[clean]" in w.window.title.cget("text")
    assert "detector car 0.91" in w.window.scores.cget("text")
    assert w.window.progress.cget("text").startswith("1 / 3   clean 0")

    w.key("x")  # reject a
    w.wait_shown("b")
    assert fraction_near(w.shot(), GREEN) > 0.8
    w.key("q")  # b to questionable
    w.wait_shown("c")
    assert fraction_near(w.shot(), BLUE) > 0.8
    assert "reason not_front" in w.window.scores.cget("text")
    w.key("Left")
    w.wait_shown("b")
    assert "→ questionable" in w.window.title.cget("text")
    w.key("z", state=0x4)  # Control-z: b undecided again
    w.key("u")  # and a
    w.wait_shown("a")
    assert fraction_near(w.shot(), RED) > 0.8
    w.key("x")
    w.key("c")
    assert decisions_in_log(folder) == [
        ("a", "rejected"),
        ("b", "questionable"),
        ("a", "rejected"),
        ("b", "clean"),
    ]
    assert w.window.progress.cget("text").startswith(
        "3 / 3   clean 1 · questionable 0 · rejected 1"
    )
    w.key("A", state=0x1)  # shift+a: apply
    assert "applied: moved 1" in w.window.message.cget("text")
    assert (folder / "rejected" / "a.jpg").exists() and not (folder / "clean" / "a.jpg").exists()
    assert (folder / "clean" / "b.jpg").exists() and (folder / "questionable" / "c.jpg").exists()


def test_closing_and_reopening_resumes_and_undo_crosses_the_restart(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    folder = make_final(SPEC)
    config = SessionConfig(folder=folder)
    first = harnesses(config)
    first.wait_shown("a")
    first.key("c")
    first.key("x")
    first.wait_shown("c")
    first.key("q", state=0x4)  # Control-q closes the window (without applying here)
    assert not first.alive

    second = harnesses(config)
    second.wait_shown("c")  # resumes at the first undecided image
    assert fraction_near(second.shot(), BLUE) > 0.8
    second.key("u")
    second.wait_shown("b")
    assert fraction_near(second.shot(), GREEN) > 0.8
    assert decisions_in_log(folder)[-1] == ("b", "rejected")
    assert ReviewSession(config).decision("b") is None


def test_unreadable_image_is_shown_as_such_and_can_be_rejected(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    folder = make_final(SPEC)
    (folder / "clean" / "0broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    w = harnesses(SessionConfig(folder=folder), apply_on_close=True)
    w.wait_shown("0broken")
    assert "unreadable image" in w.canvas_text() and "press x to reject" in w.canvas_text()
    assert fraction_near(w.shot(), (30, 30, 30), tolerance=20) > 0.8  # no image drawn
    w.key("x")
    w.wait_shown("a")
    w.key("q", state=0x4)  # quit; this window applies on close
    assert (folder / "rejected" / "0broken.jpg").read_bytes().endswith(b"cut short")


def test_folder_changed_by_another_program_while_open(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    folder = make_final(SPEC)
    w = harnesses(SessionConfig(folder=folder), rescan_ms=100)
    w.wait_shown("a")
    (folder / "clean" / "b.jpg").unlink()
    write_image(folder / "questionable" / "d.jpg", MAGENTA)
    assert w.pump(lambda: "folder changed" in w.window.message.cget("text"))
    message = w.window.message.cget("text")
    assert "1 new image" in message
    assert "1 image(s) gone from the folder, taken off the list: clean/b.jpg" in message
    assert w.window.progress.cget("text").startswith("1 / 3")  # a, c, and d at the end
    w.key("Right")
    w.wait_shown("c")  # b is off the list
    w.key("Right")
    w.wait_shown("d")
    assert fraction_near(w.shot(), MAGENTA) > 0.8
    assert w.window.progress.cget("text").startswith("3 / 3")
    # A file replaced under the same name shows its new content.
    write_image(folder / "clean" / "a.jpg", YELLOW)
    w.key("Prior")
    w.wait_shown("a")
    assert fraction_near(w.shot(), YELLOW) > 0.8


def test_a_decision_on_an_image_moved_away_is_not_taken(
    make_final: Callable[..., Path],
    harnesses: Callable[..., WindowHarness],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The file leaves between two rescans: the key finds it gone, says so, and takes it off."""
    folder = make_final({"clean": {"a": RED, "b": GREEN, "c": BLUE}, "questionable": {"d": YELLOW}})
    w = harnesses(SessionConfig(folder=folder), rescan_ms=600_000, apply_on_close=True)
    w.wait_shown("a")
    w.key("Right")
    w.wait_shown("b")
    assert w.window.progress.cget("text").startswith("2 / 4")
    (folder / "clean" / "b.jpg").rename(tmp_path / "b.jpg")  # mv from outside the tool
    w.key("x")
    w.wait_shown("c")  # the view moved on to the next image
    assert w.window.message.cget("text") == "b.jpg is gone from clean/: not decided"
    assert w.window.progress.cget("text") == (
        "2 / 3   clean 0 · questionable 0 · rejected 0 · undecided 3"
    )
    assert fraction_near(w.shot(), BLUE) > 0.8
    assert decisions_in_log(folder) == []  # nothing logged, so nothing waits to be applied
    w.key("x")  # c, which is there
    assert decisions_in_log(folder) == [("c", "rejected")]
    w.key("q", state=0x4)  # quit; this window applies on close
    assert not w.alive
    assert capsys.readouterr() == ("applied: moved 1\n", "")
    (tmp_path / "b.jpg").rename(folder / "clean" / "b.jpg")  # put back: it has no decision
    done = apply_from_command_line(folder)
    assert (done.returncode, done.stdout, done.stderr) == (0, "applied: moved 0\n", "")
    assert (folder / "clean" / "b.jpg").exists() and (folder / "rejected" / "c.jpg").exists()


def test_an_old_decision_made_while_the_file_was_gone_is_shown_as_stale(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    """A log of an older version holds `"from": null`: the window opens, says the decision
    will not be applied, and a new decision on the file that is there replaces it."""
    folder = make_final(SPEC)
    old = {"op": "decide", "kind": "review", "group": 1, "image_id": "b", "from": None}
    (folder / LOG_NAME).write_text(json.dumps({**old, "to": "rejected"}) + "\n")
    w = harnesses(SessionConfig(folder=folder))
    w.wait_shown("a")
    assert w.window.message.cget("text") == (
        "1 logged decision cannot be applied: b.jpg -> rejected/: decided while the file was "
        "gone from the folder; it is in clean/ now: decide it again"
    )
    w.key("Right")
    w.wait_shown("b")
    title = w.window.title.cget("text")
    assert "→ rejected (stale: will not be applied, decide it again)" in title
    w.key("x")  # decided again, on this file
    w.key("Left")
    w.wait_shown("b")
    assert w.window.title.cget("text").endswith("[clean]   → rejected")
    w.key("A", state=0x1)
    assert w.window.message.cget("text") == "applied: moved 1"
    assert (folder / "rejected" / "b.jpg").exists()


def test_grid_marks_and_bulk_decision(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    folder = make_final({"clean": {"a": RED, "b": GREEN, "c": BLUE, "d": YELLOW}})
    w = harnesses(SessionConfig(folder=folder), grid=2)
    w.wait_shown("a")
    w.key("g")
    assert w.pump(
        lambda: (
            len(w.window.canvas.find_withtag("grid")) > 0
            and not any(
                w.window.canvas.itemcget(i, "text") == "…"
                for i in w.window.canvas.find_withtag("grid")
                if w.window.canvas.type(i) == "text"
            )
        )
    )
    shot = w.shot()
    half_w, half_h = shot.width // 2, shot.height // 2
    quarters = {RED: (0, 0), GREEN: (half_w, 0), BLUE: (0, half_h), YELLOW: (half_w, half_h)}
    for colour, (x, y) in quarters.items():
        assert fraction_near(shot.crop((x, y, x + half_w, y + half_h)), colour) > 0.4, colour
    w.key("space")  # mark a, cursor to b
    w.key("Down")  # cursor to d
    w.key("space")  # mark d
    assert "2 marked" in w.window.title.cget("text")
    w.key("x")
    assert decisions_in_log(folder) == [("a", "rejected"), ("d", "rejected")]
    w.key("u")  # one undo takes back the whole bulk decision
    session = w.window.session
    assert session.decision("a") is None and session.decision("d") is None
    w.key("Escape")  # back to the single image, at the grid's cursor
    w.wait_shown("a")
    assert fraction_near(w.shot(), RED) > 0.8


def test_help_overlay_lists_the_keys(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    w = harnesses(SessionConfig(folder=make_final(SPEC)))
    w.wait_shown("a")
    w.key("question", state=0x1)  # shift+slash
    items = w.window.canvas.find_withtag("help")
    text = " ".join(
        w.window.canvas.itemcget(i, "text") for i in items if w.window.canvas.type(i) == "text"
    )
    for needle in ("keep as clean", "move to questionable", "reject", "undo", "Control-q"):
        assert needle in text
    assert fraction_near(w.shot(), (16, 16, 16), tolerance=12) > 0.5  # the overlay covers the image
    w.key("Escape")
    assert not w.window.canvas.find_withtag("help")
    assert fraction_near(w.shot(), RED) > 0.8


def help_text(w: WindowHarness) -> str:
    canvas = w.window.canvas
    return " ".join(
        canvas.itemcget(i, "text") for i in canvas.find_withtag("help") if canvas.type(i) == "text"
    )


def test_label_mode_help_lists_only_what_label_keys_do(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness], tmp_path: Path
) -> None:
    folder = make_final({"to_label": {"t1": RED}})
    labels = tmp_path / "labels"
    w = harnesses(SessionConfig(folder=folder, mode=LABEL, sets=("to_label",), labels_dir=labels))
    w.wait_shown("t1")
    w.key("h")
    text = help_text(w)
    for needle in ("label front", "label front_angled", "label other", "undo", "Control-q"):
        assert needle in text
    assert "move files to their decided sets" not in text and "applies decisions" not in text
    assert "quit (the labels are written already: nothing to apply)" in text
    w.key("Escape")
    w.key("A", state=0x1)  # not a label mode key: nothing happens
    assert w.window.last_shown == "t1" and not labels.exists()


def test_quit_without_applying_says_what_is_pending_and_how_to_apply(
    make_final: Callable[..., Path],
    harnesses: Callable[..., WindowHarness],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = make_final(SPEC)
    w = harnesses(SessionConfig(folder=folder))  # the harness's windows do not apply on close
    w.wait_shown("a")
    w.key("x")  # a to rejected
    w.wait_shown("b")
    w.key("c")  # b stays clean: nothing to move
    w.key("q")  # c stays questionable
    w.key("q", state=0x4)
    assert not w.alive
    out, err = capsys.readouterr()
    assert err == ""
    line, command = out.rstrip("\n").split("; apply with: ")
    assert line == "1 decision is not applied yet (files not moved)" and "\n" not in out.rstrip()
    assert command == shlex.join(["python", "review_tool/app.py", str(folder), "--apply"])
    assert (folder / "clean" / "a.jpg").exists()  # quitting moved nothing
    done = subprocess.run(
        [sys.executable, *shlex.split(command)[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "applied: moved 1", done.stderr
    assert (folder / "rejected" / "a.jpg").exists() and not (folder / "clean" / "a.jpg").exists()


def test_quit_prints_nothing_when_nothing_is_pending(
    make_final: Callable[..., Path],
    harnesses: Callable[..., WindowHarness],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    review = harnesses(SessionConfig(folder=make_final(SPEC)))
    review.wait_shown("a")
    review.key("c")  # decided, but a is in clean/ already
    review.key("q", state=0x4)
    folder = make_final({"to_label": {"t1": RED}}, model="label-car")
    config = SessionConfig(
        folder=folder, mode=LABEL, sets=("to_label",), labels_dir=tmp_path / "labels"
    )
    label = harnesses(config)
    label.wait_shown("t1")
    label.key("f")
    label.key("q", state=0x4)
    assert not review.alive and not label.alive
    assert capsys.readouterr() == ("", "")


def test_label_mode_keys_write_training_layout(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness], tmp_path: Path
) -> None:
    folder = make_final({"to_label": {"t1": RED, "t2": GREEN}, "clean": {"c1": BLUE}})
    labels = tmp_path / "labels"
    config = SessionConfig(folder=folder, mode=LABEL, sets=("to_label", "clean"), labels_dir=labels)
    w = harnesses(config)
    w.wait_shown("t1")
    w.key("f")
    w.wait_shown("t2")
    w.key("a")
    w.wait_shown("c1")
    w.key("o")
    assert sorted(str(p.relative_to(labels)) for p in labels.rglob("*.jpg")) == [
        "front/t1.jpg",
        "front_angled/t2.jpg",
        "other/c1.jpg",
    ]
    w.key("u")
    assert not (labels / "other" / "c1.jpg").exists()
    assert w.window.progress.cget("text").startswith("3 / 3   front 1 · front_angled 1 · other 0")


def test_grid_pages_and_resizing_the_window(
    make_final: Callable[..., Path], harnesses: Callable[..., WindowHarness]
) -> None:
    colours = [RED, GREEN, BLUE, YELLOW, MAGENTA]
    folder = make_final({"clean": {f"i{n}": colours[n] for n in range(5)}})
    w = harnesses(SessionConfig(folder=folder), grid=2)
    w.wait_shown("i0")
    w.key("g")
    w.key("Next")  # page 2 of 2: only i4
    assert w.pump(lambda: "page 2 / 2" in w.window.title.cget("text"))
    assert w.window.session.current == "i4"
    assert w.pump(lambda: fraction_near(w.shot(), MAGENTA) > 0.1)
    assert fraction_near(w.shot(), RED) == 0
    w.key("Prior")
    w.key("Escape")
    w.wait_shown("i0")
    w.root.geometry("500x420")  # a smaller window: the image is fitted again and still shown
    assert w.pump(lambda: w.window.box[0] < 500)
    w.pump(lambda: w.window.last_shown == "i0" and fraction_near(w.shot(), RED) > 0.5)
    shot = w.shot()
    assert shot.width <= 500 and fraction_near(shot, RED) > 0.5
