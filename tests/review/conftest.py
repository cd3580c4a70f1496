"""Fixtures for the review tool: small model folders in the filtering's output layout."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from review_helpers import FolderSpec, write_image, write_records


@pytest.fixture
def make_final(tmp_path: Path) -> Callable[..., Path]:
    """Build `<tmp>/data/final/<model>/` with the given sets of solid-colour JPEGs and records."""

    def make(spec: FolderSpec, model: str = "test-car", size: tuple[int, int] = (160, 120)) -> Path:
        folder = tmp_path / "data" / "final" / model
        for set_name, images in spec.items():
            (folder / set_name).mkdir(parents=True, exist_ok=True)
            for image_id, colour in images.items():
                write_image(folder / set_name / f"{image_id}.jpg", colour, size)
        write_records(folder, spec)
        return folder

    return make


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """A private Xvfb server for the whole session; DISPLAY points at it while it runs.

    `-displayfd` lets the server pick a free display number itself, so parallel runs (other
    people's tests on the same machine) cannot collide.
    """
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian package xvfb)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    display = f":{number}"
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
