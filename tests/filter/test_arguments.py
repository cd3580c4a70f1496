"""A bad argument to any of the command lines is one line naming it, and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("filtering/run.py", ["--batch", "0"], "argument --batch: must be an integer >= 1"),
        ("filtering/export.py", ["--model", "m", "--out", "o", "--nope"], "unrecognized arguments"),
        ("filtering/evaluate.py", [], "the following arguments are required"),
        ("review_tool/app.py", ["x", "--size", "5"], "'5' is not WIDTHxHEIGHT"),
    ],
)
def test_a_bad_argument_is_one_line(
    script: str, args: list[str], message: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / script), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "--help" in lines[0], done.stderr
