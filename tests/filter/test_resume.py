"""A run killed at any moment and started again ends exactly as an uninterrupted run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import ImageOps

from filtering.listing import list_images
from filtering.records import read_records
from tests.filter.scenes import REPO_ROOT, bus_scene, empty_scene, raw_folder, run_filtering

MODEL = "test-bus"
# Smaller than the default: more batches, more moments to be killed in. The whole run uses another
# size, so the result is checked not to depend on how images were batched.
BATCH = 3
# Each run is killed this long after it first wrote records: right after a batch, mid-batch, and
# (with the last) in the placement or beyond the end.
KILL_AFTER = (0.0, 0.3, 0.0, 1.0, 2.5)


def _make_data(root: Path, bus_photo: Path) -> Path:
    raw = root / "data" / "raw" / MODEL
    raw_folder(bus_photo, raw)
    for k in range(12):  # more work, so that kills land in every phase of the run
        empty_scene(k + 10).save(raw / f"x_empty{k:02d}.jpg")
        colour = (20 * k, 90, 200 - 10 * k)
        scene = bus_scene(bus_photo, colour)
        (ImageOps.mirror(scene) if k % 2 else scene).save(raw / f"x_bus{k:02d}.jpg")
    return root


def _state(root: Path) -> tuple[dict, dict]:
    """Every record but its time, and every file written, by content."""
    data = root / "data"
    read = read_records(data / "final" / MODEL / "records.jsonl")
    assert read.bad_lines == 0
    records = read.by_id
    for record in records.values():
        record.pop("processed_at")
    files = {
        p.relative_to(data).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        # A lock file names the run that last held it: not a result.
        if p.is_file() and p.name != "records.jsonl" and not p.name.endswith(".lock")
    }
    return records, files


def _lines(records: Path) -> int:
    return records.read_bytes().count(b"\n") if records.exists() else 0


def _wait_for_new_records(run: subprocess.Popen[bytes], records: Path) -> bool:
    """Wait until the run has appended records (True), or has ended (False). Waiting for work
    rather than for a time: a run's start-up takes from 3 to 40 seconds on a busy machine."""
    before = _lines(records)
    while run.poll() is None:
        if _lines(records) > before:
            return True
        time.sleep(0.02)
    return False


def _start(root: Path, detector: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(REPO_ROOT / "filtering" / "run.py")]
    command += ["--detector", str(detector), "--batch", str(BATCH)]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    return subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_killed_runs_resume_to_the_same_result(
    tmp_path: Path, bus_photo: Path, detector_weights: Path
) -> None:
    whole = _make_data(tmp_path / "whole", bus_photo)
    assert run_filtering(whole, "--detector", str(detector_weights), "--batch", "5").returncode == 0
    killed = _make_data(tmp_path / "killed", bus_photo)
    records = killed / "data" / "final" / MODEL / "records.jsonl"
    kills = 0
    for pause in KILL_AFTER:  # seconds after a batch's records are on disk
        run = _start(killed, detector_weights)
        if not _wait_for_new_records(run, records):
            break
        time.sleep(pause)
        run.send_signal(signal.SIGKILL)
        run.wait()
        kills += 1
    else:
        run = _start(killed, detector_weights)
        run.wait()
    assert run.returncode == 0
    assert kills >= 2  # killed at least twice after work had begun
    assert run_filtering(killed, "--detector", str(detector_weights)).returncode == 0
    assert _state(killed) == _state(whole)
    assert not list((killed / "data").rglob(".*.partial"))


def test_ctrl_c_says_how_to_go_on_and_the_same_command_does(
    tmp_path: Path, bus_photo: Path, detector_weights: Path
) -> None:
    root = _make_data(tmp_path / "stopped", bus_photo)
    records = root / "data" / "final" / MODEL / "records.jsonl"
    command = [sys.executable, str(REPO_ROOT / "filtering" / "run.py")]
    command += ["--detector", str(detector_weights), "--batch", str(BATCH)]
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    with subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as run:
        assert _wait_for_new_records(run, records), "the run ended before it could be stopped"
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr[-2000:]
    assert f"stopped while filtering {MODEL}" in stderr
    assert "run the same command again" in stderr
    assert "Traceback" not in stderr
    photos = len(list_images(root / "data" / "raw" / MODEL))
    assert 0 < len(read_records(records).by_id) < photos
    again = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(read_records(records).by_id) == photos
