"""One run per model at a time: a second `python filtering/run.py` on a model another run holds
stops at once, names that run and writes nothing; a holder killed with SIGKILL leaves no lock
behind; other models are not held up. The holders are real processes (or this one) taking the
lock with the run's own function."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from filtering.locks import (
    MODEL_LOCK_NAME,
    Holder,
    ModelBusyError,
    check_model_folder,
    hold_model_folder,
)
from filtering.pipeline import run_model
from filtering.records import read_records
from filtering.settings import FilterSettings
from tests.filter.fakes import MODEL, MODELS, add_photos, noise_photo
from tests.filter.scenes import REPO_ROOT, run_filtering

OTHER = "other-car"
# The second run's advice, after the folder and the run it names.
HINT = "nothing was done; wait for that run to end (or stop it), then start this one again"
# The detector as given, in PyTorch: no export to make first (the runtime is not under test).
AS_GIVEN = ("--detector-runtime", "pytorch")
HOLD = """
import sys
from pathlib import Path
from filtering.locks import hold_model_folder
with hold_model_folder(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes it, or kills this process
"""


@pytest.fixture
def filtered(tmp_path: Path) -> FilterSettings:
    """A model filtered once (with the small fake models: quick), and another not filtered yet."""
    settings = FilterSettings(data=tmp_path / "data", batch=2)
    add_photos(settings, range(4))
    run_model(MODEL, settings, MODELS)
    other = settings.raw(OTHER)
    other.mkdir(parents=True)
    noise_photo(7).save(other / "q07.png")
    return settings


def _tree(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, files by the SHA-256 of their bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "folder"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def holder_process(filtered: FilterSettings) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of MODEL's folder, as a run does."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-c", HOLD, str(filtered.final(MODEL))]
    with subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stdout.readline() == "held\n"
        yield process
        process.kill()


def _refused(root: Path, holder: Holder, *args: str) -> None:
    """A run that must stop at once, naming MODEL's folder and `holder`, and write nothing."""
    before = _tree(root / "data")
    done = run_filtering(root, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        f"error: data/final/{MODEL} is being filtered by another run (pid {holder.pid} on "
        f"{holder.host}, started {holder.started}): {HINT}\n"
    )
    assert done.stdout == ""  # stopped before loading its models
    assert _tree(root / "data") == before


def test_a_second_run_on_the_same_model_stops_at_once_and_writes_nothing(
    filtered: FilterSettings, tmp_path: Path, detector_weights: Path
) -> None:
    with hold_model_folder(filtered.final(MODEL)) as me:
        assert me.pid == os.getpid()
        add_photos(filtered, range(4, 6))  # work it would do
        _refused(tmp_path, me, "--detector", str(detector_weights))
        _refused(tmp_path, me, "--detector", str(detector_weights), "--model", MODEL)
        with pytest.raises(ModelBusyError, match=f"pid {me.pid} on"):
            check_model_folder(filtered.final(MODEL))  # what the export asks
    check_model_folder(filtered.final(MODEL))  # let go at the end of the block


def test_a_killed_holder_leaves_no_stale_lock(
    filtered: FilterSettings,
    tmp_path: Path,
    detector_weights: Path,
    holder_process: subprocess.Popen[str],
) -> None:
    lock_file = filtered.final(MODEL) / MODEL_LOCK_NAME
    holder = Holder(**json.loads(lock_file.read_text()))
    assert holder.pid == holder_process.pid
    _refused(tmp_path, holder, "--detector", str(detector_weights))
    holder_process.send_signal(signal.SIGKILL)
    holder_process.wait()
    assert json.loads(lock_file.read_text())["pid"] == holder.pid  # the file stays, the lock not
    check_model_folder(filtered.final(MODEL))
    add_photos(filtered, range(4, 6))
    done = run_filtering(tmp_path, "--detector", str(detector_weights), *AS_GIVEN, "--model", MODEL)
    assert done.returncode == 0, done.stderr
    assert len(read_records(filtered.final(MODEL) / "records.jsonl").by_id) == 6


def test_another_model_is_not_held_up(
    filtered: FilterSettings, tmp_path: Path, detector_weights: Path
) -> None:
    with hold_model_folder(filtered.final(MODEL)) as me:
        args = ("--detector", str(detector_weights), *AS_GIVEN, "--model", OTHER)
        done = run_filtering(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert set(read_records(filtered.final(OTHER) / "records.jsonl").by_id) == {"q07"}
        check_model_folder(filtered.final(OTHER))  # that run let go of it
        # A run of every model would filter the one held too: it does not start.
        _refused(tmp_path, me, "--detector", str(detector_weights))


def test_a_lock_that_cannot_be_made_is_named(
    filtered: FilterSettings, tmp_path: Path, detector_weights: Path
) -> None:
    (filtered.final(MODEL) / MODEL_LOCK_NAME).mkdir()  # in the way, as a read-only folder would be
    done = run_filtering(tmp_path, "--detector", str(detector_weights))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        f"error: data/final/{MODEL} cannot be locked for this run: [Errno 21] Is a directory: "
        f"'data/final/{MODEL}/{MODEL_LOCK_NAME}'"
    )
    assert "Traceback" not in done.stderr and done.stdout == ""
