"""Decisions, the log, resume, undo and apply, without a display."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from review_helpers import BLUE, GREEN, RED, YELLOW, write_image

from filtering.records import read_records
from review_tool.folder import FolderError
from review_tool.log import LOG_NAME, ApplyEvent, read_events
from review_tool.moves import Move, apply_moves
from review_tool.session import ReviewSession, SessionConfig

SPEC = {
    "clean": {"c1": RED, "c2": GREEN, "c3": BLUE},
    "questionable": {"q1": YELLOW, "q2": RED},
}


def open_session(folder: Path, **kwargs: object) -> ReviewSession:
    return ReviewSession(SessionConfig(folder=folder, **kwargs))  # type: ignore[arg-type]


def files(folder: Path) -> dict[str, list[str]]:
    return {
        s: sorted(p.stem for p in (folder / s).glob("*.jpg"))
        for s in ("clean", "questionable", "rejected")
    }


def test_order_progress_and_scores(make_final: Callable[..., Path]) -> None:
    session = open_session(make_final(SPEC))
    assert session.order == ["c1", "c2", "c3", "q1", "q2"]
    assert session.current == "c1"
    assert session.progress_text() == (
        "1 / 5   clean 0 · questionable 0 · rejected 0 · undecided 5"
    )
    assert session.record("q1")["reason"] == "not_front"  # type: ignore[index]
    assert session.path("q1") == session.folder / "questionable" / "q1.jpg"


def test_decisions_are_logged_and_resume_after_restart(make_final: Callable[..., Path]) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.decide_current("clean")
    session.decide_current("rejected")
    assert session.current == "c3"
    # The log is on disk line by line before the session is closed.
    lines = (folder / LOG_NAME).read_text().splitlines()
    assert [json.loads(line)["to"] for line in lines] == ["clean", "rejected"]
    assert json.loads(lines[1])["from"] == "clean"

    reopened = open_session(folder)
    assert reopened.current == "c3"
    assert reopened.decision("c2") == "rejected"
    assert reopened.counts()["clean"] == 1
    assert reopened.progress_text().startswith("3 / 5   clean 1 · questionable 0 · rejected 1")


def test_multi_step_undo_also_after_restart(make_final: Callable[..., Path]) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    for target in ("clean", "questionable", "rejected"):
        session.decide_current(target)

    reopened = open_session(folder)
    undone = reopened.undo()
    assert undone is not None and undone.image_ids == ["c3"]
    assert reopened.current == "c3" and reopened.decision("c3") is None
    reopened.undo()
    assert reopened.current == "c2" and reopened.decision("c2") is None
    assert reopened.decision("c1") == "clean"

    again = open_session(folder)
    assert [again.decision(i) for i in ("c1", "c2", "c3")] == ["clean", None, None]
    assert again.current == "c2"
    again.undo()
    assert again.undo() is None  # nothing left to undo
    assert again.counts()["undecided"] == 5


def test_changing_a_decision_and_undoing_brings_the_first_back(
    make_final: Callable[..., Path],
) -> None:
    session = open_session(make_final(SPEC))
    session.decide(["c1"], "questionable")
    session.decide(["c1"], "rejected")
    assert session.decision("c1") == "rejected"
    session.undo()
    assert session.decision("c1") == "questionable"


def test_bulk_decision_is_one_undo_step(make_final: Callable[..., Path]) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.decide(["c1", "c2", "q1"], "rejected")
    assert open_session(folder).counts()["rejected"] == 3
    session.undo()
    assert open_session(folder).counts()["rejected"] == 0


def test_apply_moves_files_and_undo_then_apply_moves_them_back(
    make_final: Callable[..., Path],
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.decide(["c1"], "rejected")
    session.decide(["q1"], "clean")
    session.decide(["c2"], "clean")  # already there: nothing to move
    report = session.apply()
    assert len(report.moved) == 2 and not report.conflicts
    assert files(folder) == {
        "clean": ["c2", "c3", "q1"],
        "questionable": ["q2"],
        "rejected": ["c1"],
    }
    applied = [e for e in read_events(folder / LOG_NAME).events if isinstance(e, ApplyEvent)]
    assert {(e.image_id, e.source, e.target) for e in applied} == {
        ("c1", "clean", "rejected"),
        ("q1", "questionable", "clean"),
    }

    reopened = open_session(folder)  # order is kept: images sort by the set they started in
    assert reopened.order == ["c1", "c2", "c3", "q1", "q2"]
    reopened.undo()  # c2
    reopened.undo()  # q1 back to undecided: it belongs in questionable again
    reopened.undo()  # c1
    reopened.apply()
    assert files(folder) == files(make_final(SPEC, model="pristine"))


def test_apply_updates_the_filtering_records(make_final: Callable[..., Path]) -> None:
    """After a review, filtering's records (last line wins) say where each image now is."""
    folder = make_final(SPEC)
    before = (folder / "records.jsonl").read_text()
    session = open_session(folder)
    session.decide(["c1"], "rejected")
    session.decide(["q1"], "clean")
    session.decide(["c2"], "clean")  # stays where it is: no new record
    session.apply()

    text = (folder / "records.jsonl").read_text()
    assert text.startswith(before)  # appended, nothing rewritten
    read = read_records(folder / "records.jsonl")
    assert read.bad_lines == 0
    records = read.by_id
    assert (records["c1"]["fate"], records["c1"]["output"]) == (
        "rejected", "final/test-car/rejected/c1.jpg",
    )  # fmt: skip
    assert (records["q1"]["fate"], records["q1"]["stage"]) == ("clean", "review")
    assert (folder.parents[1] / records["q1"]["output"]).exists()
    assert records["c2"]["fate"] == "clean" and "stage" not in records["c2"]
    assert records["q1"]["classifier_conf"] == 0.875  # the scores are kept
    assert len(text.splitlines()) == len(before.splitlines()) + 2


def test_files_moved_without_their_records_are_recorded_at_the_next_start(
    make_final: Callable[..., Path],
) -> None:
    """An apply killed after moving files and before appending their records, then reopened:
    the records follow the files, once, and nothing else changes."""
    folder = make_final(SPEC)
    moved = apply_moves(folder, [Move("c1", "c1.jpg", "clean", "rejected")])
    assert [m.image_id for m in moved.moved] == ["c1"]
    before = (folder / "records.jsonl").read_text()

    session = open_session(folder)
    assert any("1 record(s) updated" in w for w in session.warnings), session.warnings
    records = read_records(folder / "records.jsonl").by_id
    assert (records["c1"]["fate"], records["c1"]["output"]) == (
        "rejected", "final/test-car/rejected/c1.jpg",
    )  # fmt: skip
    assert records["c1"]["stage"] == "review"
    assert {i: r["fate"] for i, r in records.items() if i != "c1"} == {
        "c2": "clean", "c3": "clean", "q1": "questionable", "q2": "questionable",
    }  # fmt: skip
    assert len((folder / "records.jsonl").read_text().splitlines()) == len(before.splitlines()) + 1

    again = open_session(folder)  # nothing is stray any more: no second record, no warning
    assert not any("updated" in w for w in again.warnings)
    assert len((folder / "records.jsonl").read_text().splitlines()) == len(before.splitlines()) + 1


def test_apply_never_overwrites(make_final: Callable[..., Path]) -> None:
    folder = make_final(SPEC)
    write_image(folder / "rejected" / "c1.jpg", YELLOW)  # a different file, same name
    session = open_session(folder, sets=("clean", "questionable"))
    session.decide(["c1"], "rejected")
    report = session.apply()
    assert not report.moved and [m.image_id for m in report.conflicts] == ["c1"]
    assert "kept both" in report.details()[0] and "rejected/c1.jpg" in report.details()[0]
    assert (folder / "clean" / "c1.jpg").exists() and (folder / "rejected" / "c1.jpg").exists()


def test_refresh_notices_new_gone_and_moved_files(make_final: Callable[..., Path]) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    (folder / "clean" / "c2.jpg").unlink()
    (folder / "questionable" / "q1.jpg").rename(folder / "clean" / "q1.jpg")
    write_image(folder / "questionable" / "a0.jpg", BLUE)
    session.go_to(session.order.index("c3"))
    changes = session.refresh()
    assert (changes.new, [g.image_id for g in changes.gone], changes.moved) == (
        ["a0"], ["c2"], ["q1"],
    )  # fmt: skip
    assert "1 new image(s)" in changes.message()
    assert "1 image(s) gone from the folder, taken off the list: clean/c2.jpg" in changes.message()
    # The gone image leaves the list, the others keep their place, new ones go to the end.
    assert session.order == ["c1", "c3", "q1", "q2", "a0"]
    assert session.current == "c3" and session.location("q1") == "clean"


def test_truncated_last_log_line_is_skipped_and_logging_continues(
    make_final: Callable[..., Path],
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.decide_current("rejected")
    with (folder / LOG_NAME).open("a") as f:
        f.write('{"op": "decide", "kind": "review", "gro')  # killed mid-write
    reopened = open_session(folder)
    assert reopened.warnings[0].endswith("skipped 1 unreadable line(s)")
    assert reopened.decision("c1") == "rejected" and reopened.current == "c2"
    reopened.decide_current("clean")
    assert open_session(folder).decision("c2") == "clean"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "nope", "folder not found"),
        (lambda p: (p / "file.txt", (p / "file.txt").write_text("x"))[0], "not a folder"),
        (lambda p: (p / "empty", (p / "empty").mkdir())[0], "is it a data/final/<model> folder"),
    ],
)
def test_bad_folders_get_clear_messages(
    tmp_path: Path, setup: Callable[[Path], Path], message: str
) -> None:
    bad = setup(tmp_path)
    with pytest.raises(FolderError, match=message) as info:
        open_session(bad)
    assert str(bad) in str(info.value)


def test_a_model_name_given_for_its_folder_gets_the_folder_named(
    make_final: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_final(SPEC)  # <tmp>/data/final/test-car
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FolderError, match=r"the model's folder is data/final/test-car"):
        open_session(Path("test-car"))
    with pytest.raises(FolderError) as other:
        open_session(Path("other-car"))
    assert "model's folder" not in str(other.value)


def test_empty_sets_give_an_empty_session(make_final: Callable[..., Path]) -> None:
    session = open_session(make_final({"clean": {}, "questionable": {}}))
    assert len(session) == 0 and session.current is None
    assert session.progress_text().startswith("0 / 0")
    assert session.decide_current("clean").group is None and session.undo() is None


@pytest.mark.parametrize("restart", [False, True])
def test_undo_of_a_repeated_decision_brings_back_the_one_before(
    make_final: Callable[..., Path], restart: bool
) -> None:
    """q, then x, then q again on one image; undo takes back the second q only: x is live."""
    folder = make_final(SPEC)
    session = open_session(folder)
    for target in ("questionable", "rejected", "questionable"):
        session.decide(["c1"], target)
    if restart:
        session = open_session(folder)
    session.undo()
    assert session.decision("c1") == "rejected"
    session.undo()
    assert session.decision("c1") == "questionable"
    session.undo()
    assert session.decision("c1") is None
    session.apply()
    assert files(folder) == files(make_final(SPEC, model="pristine"))


def test_an_image_in_two_sets_is_reported(make_final: Callable[..., Path]) -> None:
    folder = make_final(SPEC)
    write_image(folder / "questionable" / "c2.jpg", BLUE)
    session = open_session(folder)
    assert "c2 is in clean/ and questionable/: the one in clean/ is shown" in session.warnings[0]
    assert session.order.count("c2") == 1


def test_unapplied_notice_counts_pending_moves_and_keeps_the_sets(
    make_final: Callable[..., Path],
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder, sets=("clean", "questionable"))
    assert session.unapplied_notice() == ""
    session.decide(["c1", "c2"], "questionable")
    session.decide(["q1"], "questionable")  # where it is already: nothing to apply
    assert session.unapplied_notice() == (
        "2 decisions are not applied yet (files not moved); apply with: "
        f"python review_tool/app.py {folder} --sets clean,questionable --apply"
    )
    session.apply()
    assert session.unapplied_notice() == ""


def test_the_unapplied_notice_s_command_runs_from_where_the_tool_was_started(
    make_final: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_final(SPEC)
    session = open_session(folder)
    session.decide(["c1"], "questionable")
    monkeypatch.chdir(tmp_path)  # not the repository: the script's path must say where it is
    command = session.unapplied_notice().split("apply with: ")[1]
    script = Path(shlex.split(command)[1])
    assert (tmp_path / script).is_file()
