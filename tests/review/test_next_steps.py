"""The commands the first filtering run prints (and its report shows), run exactly as printed
from the user's folder: label in the real window, then train; the next run uses the classifier."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from filtering.records import read_records
from review_tool.log import LOG_NAME, DecideEvent, read_events
from tests.conftest import SHARED
from tests.filter.scenes import run_filtering

MODEL = "real-cars"
PHOTOS = SHARED / "photos" / "lire-ferrari"  # real street photos, credited in ATTRIBUTION.csv
VIEWS = ("front", "front_three_quarter", "side", "rear")
LABEL_KEYS = ("f", "a", "o")  # front, front_angled, other in turn: every class gets crops


def raw_photos(folder: Path, per_view: int = 2) -> None:
    """A few real photos of each view, as the crawler stores them."""
    if not PHOTOS.is_dir():
        pytest.skip(f"real photos not found at {PHOTOS}")
    folder.mkdir(parents=True)
    for view in VIEWS:
        for photo in sorted((PHOTOS / view).glob("*.jpg"))[:per_view]:
            (folder / photo.name).write_bytes(photo.read_bytes())


def printed_commands(out: str) -> list[list[str]]:
    return [shlex.split(line) for line in out.splitlines() if line.startswith("  python ")]


def xdotool(*args: str) -> str:
    done = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


def in_window(command: list[str], cwd: Path, keys: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a review command as printed, press `keys` in its window, then quit with Ctrl+Q."""
    app = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        window = xdotool("search", "--sync", "--name", "^scars ").splitlines()[0]
        xdotool("windowfocus", "--sync", window)
        time.sleep(1.0)  # the first image is decoded ahead before keys count
        xdotool("key", "--delay", "150", *keys, "ctrl+q")
        out, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    return subprocess.CompletedProcess(command, app.returncode, out, err)


def run_printed(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.display
@pytest.mark.timeout(900)
def test_the_printed_next_steps_run_as_printed(
    xvfb_display: str, tmp_path: Path, detector_weights: Path
) -> None:
    raw_photos(tmp_path / "data" / "raw" / MODEL)
    first = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert first.returncode == 0, first.stderr
    label, train = printed_commands(first.stdout)
    report = (tmp_path / "data" / "final" / MODEL / "report.html").read_text()
    assert shlex.join(label) in report and shlex.join(train) in report  # the "What next" box

    waiting = len(list((tmp_path / "data" / "final" / MODEL / "to_label").glob("*.jpg")))
    assert waiting >= 6, "too few crops to label every class twice"
    labelled = in_window(label, tmp_path, [LABEL_KEYS[i % 3] for i in range(waiting)])
    assert labelled.returncode == 0, labelled.stderr
    labels = tmp_path / "data" / "labels" / MODEL
    counts = {
        name: len(list((labels / name).glob("*.jpg")))
        for name in ("front", "front_angled", "other")
    }
    assert sum(counts.values()) == waiting and min(counts.values()) >= 2, counts

    trained = run_printed(train, tmp_path)
    assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]
    assert (tmp_path / "models" / "front_classifier.pt").is_file()

    second = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert second.returncode == 0, second.stderr
    records = read_records(tmp_path / "data" / "final" / MODEL / "records.jsonl").by_id
    assert len(records) == waiting and all(r["classifier_label"] for r in records.values())

    # The classifier's rejections: the printed label command shows them, labelling copies them.
    rejected = [i for i, r in records.items() if str(r["reason"]).startswith("not_front")]
    after = printed_commands(second.stdout)
    if not rejected:
        assert not any("not_front" in command for command in after)
        return
    # They all waited in to_label/ and were labelled there, before the training: nothing is left.
    assert not any("not_front" in command for command in after)
    assert not any(c[1].endswith("train.py") for c in after), after
    # A rejection without a label (its copy removed) is one to look through again.
    unlabelled = sorted(rejected)[0]
    for cls in ("front", "front_angled", "other"):
        (labels / cls / f"{unlabelled}.jpg").unlink(missing_ok=True)
    third = run_filtering(tmp_path, "--detector", str(detector_weights))
    said = "look through the 1 crop(s) the classifier rejected that are not labelled yet"
    assert said in third.stdout
    relabel = next(command for command in printed_commands(third.stdout) if "not_front" in command)
    log = tmp_path / "data" / "final" / MODEL / LOG_NAME
    logged = len(read_events(log).events)
    relabelled = in_window(relabel, tmp_path, ["a"])
    assert relabelled.returncode == 0, relabelled.stderr
    (event,) = read_events(log).events[logged:]  # one key, one label, of a rejected crop
    assert isinstance(event, DecideEvent)
    assert (event.kind, event.source, event.target) == ("label", "not_front", "front_angled")
    assert event.image_id in rejected
    assert (labels / "front_angled" / f"{event.image_id}.jpg").is_file()
    # A label newer than the classifier: now a training has something new to learn.
    fourth = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert any(c[1].endswith("train.py") for c in printed_commands(fourth.stdout)), fourth.stdout
