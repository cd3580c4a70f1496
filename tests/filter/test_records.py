"""The one record store: a filtering run killed mid-write, then a review, then another run,
and nothing is lost. The runs use small fake models (the stages take injected callables), so the
kill can land exactly on each write of the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from filtering import files
from filtering.pipeline import run_model
from filtering.records import append_records, read_records, set_aside_unreadable
from filtering.settings import FilterSettings
from review_tool.session import ReviewSession, SessionConfig
from tests.filter.fakes import MODEL, MODELS, add_photos
from tests.filter.scenes import REPO_ROOT, run_filtering


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the run after it happens (not an Exception: no handler)."""


@pytest.fixture
def fake_settings(tmp_path: Path) -> FilterSettings:
    return FilterSettings(data=tmp_path / "data", batch=2)


@pytest.fixture
def killed_at_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """`killed_at_write(n)`: of the appends from now on, the n-th (from 0) writes half its bytes
    and the run dies there, as a kill mid-write leaves the file."""
    left: list[int] = []
    real_write = files._write

    def write(file: Any, data: bytes) -> None:
        if left and left[0] == 0:
            left.clear()
            cut = len(data) // 2
            while data[cut - 1 : cut] in (b"\n", b"}"):  # mid-line: a line is surely torn
                cut -= 1
            real_write(file, data[:cut])
            file.flush()
            raise Killed
        if left:
            left[0] -= 1
        real_write(file, data)

    monkeypatch.setattr(files, "_write", write)
    yield lambda count: left.append(count)


def records_path(settings: FilterSettings) -> Path:
    return settings.final(MODEL) / "records.jsonl"


def unreadable_path(settings: FilterSettings) -> Path:
    return settings.final(MODEL) / "records.unreadable.txt"


def test_a_review_move_after_a_torn_line_is_kept(fake_settings: FilterSettings) -> None:
    """A run killed mid-write left a torn last line: the review's move must not join it."""
    add_photos(fake_settings, range(4))
    run_model(MODEL, fake_settings, MODELS)
    with records_path(fake_settings).open("a") as records:
        records.write('{"image_id": "p09", "fate": "cand')  # what a kill mid-write leaves
    moved = sorted(p.stem for p in (fake_settings.final(MODEL) / "clean").glob("*.jpg"))
    session = ReviewSession(SessionConfig(folder=fake_settings.final(MODEL)))
    session.decide([moved[0]], "rejected")
    assert len(session.apply().moved) == 1

    lines = records_path(fake_settings).read_text().splitlines()
    assert lines[-2] == '{"image_id": "p09", "fate": "cand'  # the torn line stays one line
    assert json.loads(lines[-1])["image_id"] == moved[0]
    read = read_records(records_path(fake_settings))
    assert read.bad_lines == 1
    assert (read.by_id[moved[0]]["fate"], read.by_id[moved[0]]["stage"]) == ("rejected", "review")


def review(settings: FilterSettings) -> dict[str, str]:
    """Reject the first clean crop and clear the first questionable one; the moves made."""
    folder = settings.final(MODEL)
    session = ReviewSession(SessionConfig(folder=folder))
    wanted = {}
    for source, target in (("clean", "rejected"), ("questionable", "clean")):
        first = min(p.stem for p in (folder / source).iterdir())
        session.decide([first], target)
        wanted[first] = target
    assert len(session.apply().moved) == 2
    return wanted


def outcome(settings: FilterSettings) -> dict[str, tuple[str, str | None]]:
    read = read_records(records_path(settings))
    return {i: (r["fate"], r.get("output")) for i, r in sorted(read.by_id.items())}


@pytest.mark.parametrize("kill_at", [0, 1, 2, 3])
def test_a_killed_run_then_a_review_then_a_run_loses_nothing(
    fake_settings: FilterSettings,
    tmp_path: Path,
    kill_at: int,
    killed_at_write: Callable[[int], None],
) -> None:
    """Killed at each write of the second run (batches 0 to 2, the placement 3)."""
    add_photos(fake_settings, range(6))
    run_model(MODEL, fake_settings, MODELS)
    add_photos(fake_settings, range(6, 12))
    killed_at_write(kill_at)
    with pytest.raises(Killed):
        run_model(MODEL, fake_settings, MODELS)
    wanted = review(fake_settings)
    after = run_model(MODEL, fake_settings, MODELS)
    assert after.bad_lines == 1  # the torn line, counted and reported

    whole = FilterSettings(data=tmp_path / "whole", batch=2)
    add_photos(whole, range(6))
    run_model(MODEL, whole, MODELS)
    add_photos(whole, range(6, 12))
    run_model(MODEL, whole, MODELS)
    assert review(whole) == wanted
    assert outcome(fake_settings) == outcome(whole)
    for image_id, target in wanted.items():
        assert (fake_settings.final(MODEL) / target / f"{image_id}.jpg").exists()
    assert after.records[next(iter(wanted))]["stage"] == "review"


def test_a_kill_while_the_review_writes_loses_no_earlier_line(
    fake_settings: FilterSettings, killed_at_write: Callable[[int], None]
) -> None:
    add_photos(fake_settings, range(6))
    run_model(MODEL, fake_settings, MODELS)
    before = read_records(records_path(fake_settings)).by_id
    killed_at_write(3)  # two decisions and the applied moves logged, the records torn
    with pytest.raises(Killed):
        review(fake_settings)
    after = run_model(MODEL, fake_settings, MODELS)
    assert after.bad_lines == 1  # the torn line, reported once and moved out
    read = read_records(records_path(fake_settings))
    assert read.bad_lines == 0
    assert set(read.by_id) == set(before)
    assert len(unreadable_path(fake_settings).read_bytes().splitlines()) == 1


# What a kill mid-write leaves: a record cut in the middle of a character (é is two bytes).
TORN = '{"image_id": "p09", "source": "raw/noise-car/caf\u00e9.png"'.encode()[:-6]


@pytest.mark.parametrize("where", ["end", "middle"])
def test_a_torn_line_is_moved_out_once_byte_for_byte(
    fake_settings: FilterSettings, where: str
) -> None:
    """At the end: as the kill left it. In the middle: a review appended after it (ending it)."""
    add_photos(fake_settings, range(4))
    run_model(MODEL, fake_settings, MODELS)
    path = records_path(fake_settings)
    with path.open("ab") as records:
        records.write(TORN)
    if where == "middle":
        moved = min(p.stem for p in (fake_settings.final(MODEL) / "clean").iterdir())
        session = ReviewSession(SessionConfig(folder=fake_settings.final(MODEL)))
        assert any("skipped 1 unreadable line(s)" in w for w in session.warnings)
        session.decide([moved], "rejected")
        assert len(session.apply().moved) == 1
    torn = path.read_bytes()
    kept = torn.replace(TORN + b"\n", b"") if where == "middle" else torn[: -len(TORN)]
    assert len(kept) < len(torn) and (TORN in torn) and (TORN not in kept)
    before = read_records(path).by_id

    first = run_model(MODEL, fake_settings, MODELS)
    assert first.warnings == [
        f"{path}: 1 unreadable line(s), likely cut short by a kill, moved to "
        f"{unreadable_path(fake_settings)} as they were; an image they held is taken as its "
        "earlier line says, or processed again"
    ]
    assert path.read_bytes() == kept  # every other line, byte for byte
    assert unreadable_path(fake_settings).read_bytes() == TORN + b"\n"
    assert read_records(path).by_id == before and read_records(path).bad_lines == 0

    second = run_model(MODEL, fake_settings, MODELS)
    assert (second.warnings, second.bad_lines, second.done) == ([], 0, [])
    assert path.read_bytes() == kept
    assert unreadable_path(fake_settings).read_bytes() == TORN + b"\n"
    session = ReviewSession(SessionConfig(folder=fake_settings.final(MODEL)))
    assert not any("unreadable" in w for w in session.warnings)  # the review tool is quiet too


def test_a_torn_line_is_reported_once_by_the_command(
    fake_settings: FilterSettings, tmp_path: Path, detector_weights: Path
) -> None:
    """The user's case: nothing new to process, and the warning on the first run only."""
    add_photos(fake_settings, range(4))
    run_model(MODEL, fake_settings, MODELS)
    with records_path(fake_settings).open("ab") as records:
        records.write(TORN)
    # The detector as given, in PyTorch: no export to make first (the runtime is not under test).
    args = ("--detector", str(detector_weights), "--detector-runtime", "pytorch")
    runs = [run_filtering(tmp_path, *args) for _ in range(2)]
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert "nothing new to process" in done.stdout
    warning = (
        f"warning: data/final/{MODEL}/records.jsonl: 1 unreadable line(s), likely cut short by "
        f"a kill, moved to data/final/{MODEL}/records.unreadable.txt as they were"
    )
    assert warning in runs[0].stderr
    assert "unreadable" not in runs[1].stderr
    assert unreadable_path(fake_settings).read_bytes() == TORN + b"\n"


APPENDER = """
import sys
from pathlib import Path
from filtering.records import append_records
for k in range(int(sys.argv[2])):
    append_records(Path(sys.argv[1]), [{"image_id": f"a{k:03d}", "fate": "clean"}])
"""


def test_appends_while_lines_are_moved_out_are_kept(fake_settings: FilterSettings) -> None:
    """Another process appending records (as the review tool does) while this one moves
    unreadable lines out again and again: every record and every unreadable line is kept."""
    path, count = records_path(fake_settings), 150
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-c", APPENDER, str(path), str(count)]
    junk = 0
    with subprocess.Popen(command, env=env) as appender:
        while appender.poll() is None or junk == 0:
            append_records(path, [{"junk": junk}])  # a line that holds no record
            junk += 1
            assert set_aside_unreadable(path) == 1
    assert appender.returncode == 0
    read = read_records(path)
    assert read.bad_lines == 0
    assert set(read.by_id) == {f"a{k:03d}" for k in range(count)}
    aside = [json.loads(line) for line in unreadable_path(fake_settings).read_bytes().splitlines()]
    assert [line["junk"] for line in aside] == list(range(junk))
