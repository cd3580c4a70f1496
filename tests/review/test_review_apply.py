"""Applying over real folders: a decision moves only the file it saw, where it saw it; every other
decision is reported with its file and why (gone, or stale), also from logs of older versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from review_helpers import BLUE, GREEN, RED, YELLOW, apply_from_command_line, write_image

from review_tool.log import LOG_NAME, DecideEvent, read_events
from review_tool.session import ReviewSession, SessionConfig

SPEC = {"clean": {"c1": RED, "c2": GREEN, "c3": BLUE}, "questionable": {"q1": YELLOW}}


def open_session(folder: Path, **kwargs: object) -> ReviewSession:
    return ReviewSession(SessionConfig(folder=folder, **kwargs))  # type: ignore[arg-type]


def where(folder: Path, name: str) -> list[str]:
    return sorted(s for s in ("clean", "questionable", "rejected") if (folder / s / name).exists())


def test_a_decision_on_a_file_gone_before_the_key_is_not_taken(
    make_final: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.go_to(1)  # c2 shown
    (folder / "clean" / "c2.jpg").rename(tmp_path / "c2.jpg")  # before any rescan saw it
    decided = session.decide_current("rejected")
    assert decided.group is None and decided.message() == "c2.jpg is gone from clean/: not decided"
    assert session.order == ["c1", "c3", "q1"] and session.current == "c3"
    assert session.progress_text().startswith("2 / 3")
    assert not (folder / LOG_NAME).exists()  # nothing logged
    # A bulk decision decides the images that are there and names the one that is not.
    (folder / "clean" / "c3.jpg").unlink()
    bulk = session.decide(["c1", "c3", "q1"], "questionable")
    assert bulk.group is not None and bulk.group.image_ids == ["c1", "q1"]
    assert bulk.message() == "c3.jpg is gone from clean/: not decided"
    logged = read_events(folder / LOG_NAME).events
    assert [(e.image_id, e.source) for e in logged if isinstance(e, DecideEvent)] == [
        ("c1", "clean"),
        ("q1", "questionable"),
    ]


def test_a_file_moved_to_another_set_shown_is_decided_where_it_is_now(
    make_final: Callable[..., Path],
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    (folder / "clean" / "c1.jpg").rename(folder / "questionable" / "c1.jpg")
    decided = session.decide_current("rejected")
    assert decided.group is not None and decided.group.entries[0].source == "questionable"
    assert session.apply().summary() == "applied: moved 1"
    assert where(folder, "c1.jpg") == ["rejected"]


def test_a_decided_file_gone_is_reported_and_applied_when_it_is_back_unchanged(
    make_final: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.decide(["c1"], "rejected")
    (folder / "clean" / "c1.jpg").rename(tmp_path / "c1.jpg")
    report = session.apply()
    assert report.summary() == "applied: moved 0, 1 not applied: file gone"
    assert report.details() == ["not applied: c1.jpg -> rejected/: the file is gone from clean/"]
    assert session.unapplied_notice() == ""  # nothing that applying could move
    # The very file, put back where it was decided: the decision is its own, so it applies.
    (tmp_path / "c1.jpg").rename(folder / "clean" / "c1.jpg")
    assert open_session(folder).apply().summary() == "applied: moved 1"
    assert where(folder, "c1.jpg") == ["rejected"]


def test_another_file_under_a_decided_name_is_stale(make_final: Callable[..., Path]) -> None:
    folder = make_final(SPEC)
    open_session(folder).decide(["c2"], "questionable")
    write_image(folder / "clean" / "c2.jpg", BLUE, size=(200, 150))  # a new crop, the same name
    session = open_session(folder)
    assert session.not_applicable("c2") is not None
    report = session.apply()
    assert report.summary().startswith("applied: moved 0, 1 not applied: stale")
    assert report.details() == [
        "not applied: c2.jpg -> questionable/: clean/c2.jpg is not the file decided (its size or "
        "modification time changed since): decide it again"
    ]
    assert where(folder, "c2.jpg") == ["clean"]
    session.decide(["c2"], "questionable")  # decided again: this file
    assert session.apply().summary() == "applied: moved 1"
    assert where(folder, "c2.jpg") == ["questionable"]


def test_a_file_moved_by_hand_after_its_decision_is_stale(
    make_final: Callable[..., Path],
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.decide(["c1"], "rejected")
    session.decide(["c2"], "clean")  # kept where it is: nothing to apply, whatever happens
    (folder / "clean" / "c1.jpg").rename(folder / "questionable" / "c1.jpg")
    (folder / "rejected").mkdir()
    (folder / "clean" / "c2.jpg").rename(folder / "rejected" / "c2.jpg")
    report = open_session(folder).apply()
    assert report.details() == [
        "not applied: c1.jpg -> rejected/: decided when the file was in clean/; it is in "
        "questionable/ now: decide it again"
    ]
    assert where(folder, "c1.jpg") == ["questionable"] and where(folder, "c2.jpg") == ["rejected"]


def test_undo_after_applying_into_a_set_not_shown_moves_the_file_back(
    make_final: Callable[..., Path],
) -> None:
    folder = make_final(SPEC)
    shown = ("clean", "questionable")
    session = open_session(folder, sets=shown)
    session.decide(["c1"], "rejected")
    assert session.apply().summary() == "applied: moved 1"
    assert "c1" not in session.order  # its file left the sets shown
    reopened = open_session(folder, sets=shown)
    assert reopened.undo() is not None
    assert reopened.apply().summary() == "applied: moved 1"
    assert where(folder, "c1.jpg") == ["clean"] and "c1" in reopened.order


def old_log(folder: Path, lines: list[dict[str, object]]) -> None:
    """A log as the tool wrote it before it refused decisions on gone files: no file stamps."""
    at = {"at": "2024-05-01T10:00:00.000Z", "kind": "review"}
    text = "".join(json.dumps({**line, **at}) + "\n" for line in lines)
    (folder / LOG_NAME).write_text(text, encoding="utf-8")


def test_an_old_log_s_decisions_on_gone_files_are_read_and_reported(
    make_final: Callable[..., Path],
) -> None:
    folder = make_final(SPEC)
    old_log(
        folder,
        [
            # c2 was gone when it was rejected, and is back in clean/ now.
            {"op": "decide", "group": 1, "image_id": "c2", "from": None, "to": "rejected"},
            # gone1 was gone when it was rejected, and still is; its record names its file.
            {"op": "decide", "group": 2, "image_id": "gone1", "from": None, "to": "rejected"},
            {"op": "decide", "group": 3, "image_id": "c3", "from": "clean", "to": "questionable"},
        ],
    )
    with (folder / "records.jsonl").open("a") as records:
        records.write(json.dumps({"image_id": "gone1", "fate": "clean", "output": "x/g1.jpg"}))
        records.write("\n")
    session = open_session(folder)
    assert session.warnings == []  # every line read
    assert session.decision("c2") == "rejected"  # shown as decided ...
    stuck = session.not_applicable("c2")
    assert stuck is not None and stuck.why == "stale"  # ... and as one that will not apply
    assert session.not_applied_notice().startswith(
        "2 logged decisions cannot be applied (applying names each): c2.jpg -> rejected/"
    )
    done = apply_from_command_line(folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "applied: moved 1, 1 not applied: file gone, "
        "1 not applied: stale (the file is not the one decided)\n"
    )
    assert done.stderr.splitlines() == [
        "not applied: c2.jpg -> rejected/: decided while the file was gone from the folder; it is "
        "in clean/ now: decide it again",
        "not applied: g1.jpg -> rejected/: decided while the file was gone from the folder, and "
        "it still is",
    ]
    assert where(folder, "c2.jpg") == ["clean"] and where(folder, "c3.jpg") == ["questionable"]
    # Deciding c2 again, on the file that is there now, replaces the old decision.
    again = open_session(folder)
    again.decide(["c2"], "rejected")
    assert again.apply().summary() == "applied: moved 1, 1 not applied: file gone"
    assert where(folder, "c2.jpg") == ["rejected"]
