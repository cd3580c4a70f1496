"""The commands `python review_tool/app.py` and `python -m review_tool`, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import ImageGrab
from review_helpers import BLUE, GREEN, RED
from window_harness import fraction_near

from review_tool.session import ReviewSession, SessionConfig

REPO = Path(__file__).resolve().parents[2]
SPEC = {"clean": {"a": RED, "b": GREEN}, "questionable": {"c": BLUE}}
COMMANDS = [
    pytest.param([sys.executable, "review_tool/app.py"], id="script"),
    pytest.param([sys.executable, "-m", "review_tool"], id="module"),
]


def run(
    command: list[str], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args], cwd=REPO, capture_output=True, text=True, timeout=60, env=env
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_print_keys_and_apply_without_a_window(
    command: list[str], make_final: Callable[..., Path]
) -> None:
    keys = run(command, "--print-keys")
    assert keys.returncode == 0 and 'clean = ["c"]' in keys.stdout
    folder = make_final(SPEC)
    session = ReviewSession(SessionConfig(folder=folder))
    session.decide(["a"], "questionable")
    applied = run(command, str(folder), "--apply")
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == "applied: moved 1"
    assert (folder / "questionable" / "a.jpg").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_gets_a_clear_message(
    command: list[str], make_final: Callable[..., Path], tmp_path: Path
) -> None:
    missing = run(command, str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert f"folder not found: {tmp_path / 'nowhere'}" in missing.stderr
    empty = run(command, str(make_final({"clean": {}, "questionable": {}})))
    assert empty.returncode == 1 and "nothing to review: no images in clean/" in empty.stderr
    small = run(command, str(tmp_path / "nowhere"), "--size", "50x50")
    assert small.returncode == 2 and "'50x50': each side must be at least 100 px" in small.stderr
    moving = run(command, str(make_final(SPEC, model="m4")), "--sets", "not_front")
    assert moving.returncode == 2 and "--sets not_front is for --label only" in moving.stderr
    bogus = run(command, str(make_final(SPEC, model="m3")), "--sets", "clean,bogus")
    assert bogus.returncode == 2 and "unknown set(s) ['bogus']" in bogus.stderr
    bad_keys = tmp_path / "keys.toml"
    bad_keys.write_text('clean = "q"\n')
    clash = run(command, str(make_final(SPEC, model="m2")), "--keys", str(bad_keys))
    assert clash.returncode == 2 and "'q' is bound to both" in clash.stderr
    no_grid = run(command, str(make_final(SPEC, model="m4")), "--grid", "0")
    assert no_grid.returncode == 2
    assert "--grid: must be a whole number from 2 to 10" in no_grid.stderr


def test_a_folder_waiting_for_labels_points_to_label_mode(
    make_final: Callable[..., Path],
) -> None:
    """After a first filtering run (no classifier yet) the crops are all in to_label/."""
    folder = make_final({"to_label": {"a": RED, "b": GREEN}})
    result = run([sys.executable, "review_tool/app.py"], str(folder))
    assert result.returncode == 1
    assert f"the crops in {folder / 'to_label'} wait for labels: add --label" in result.stderr


def test_no_display_is_a_clear_message(make_final: Callable[..., Path]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    result = run([sys.executable, "review_tool/app.py"], str(make_final(SPEC)), env=env)
    assert result.returncode == 2 and "cannot open a window" in result.stderr


def xdotool(*args: str) -> str:
    done = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


@pytest.mark.display
@pytest.mark.timeout(120)
def test_the_real_app_with_real_key_presses(
    xvfb_display: str, make_final: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_final(SPEC)
    keys = tmp_path / "keys.toml"
    keys.write_text('rejected = ["3"]\nclean = ["1"]\n')  # a remapped key proves the file is read
    app = subprocess.Popen(
        [
            sys.executable,
            "review_tool/app.py",
            str(folder),
            "--keys",
            str(keys),
            "--size",
            "640x480",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        window = xdotool("search", "--sync", "--name", "scars review").splitlines()[0]
        xdotool("windowfocus", "--sync", window)
        deadline = time.monotonic() + 20
        while fraction_near(ImageGrab.grab(xdisplay=xvfb_display), RED) < 0.15:
            assert time.monotonic() < deadline, "the first image never appeared"
            time.sleep(0.1)
        xdotool("key", "--delay", "60", "3", "1", "ctrl+q")
        out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == 0, err
    assert out.strip() == "applied: moved 1"  # closing the window applied the decisions
    assert (folder / "rejected" / "a.jpg").exists() and (folder / "clean" / "b.jpg").exists()
