"""Small shared helpers for the review tool's tests: solid-colour images and records."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
Colour = tuple[int, int, int]
FolderSpec = Mapping[str, Mapping[str, Colour]]

# Distinctive solid colours, far apart, so a screenshot tells which image is shown.
RED: Colour = (220, 30, 30)
GREEN: Colour = (30, 200, 40)
BLUE: Colour = (30, 60, 220)
YELLOW: Colour = (230, 210, 20)
MAGENTA: Colour = (200, 40, 200)


def write_image(path: Path, colour: Colour, size: tuple[int, int] = (160, 120)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, "JPEG", quality=95)
    return path


def write_records(folder: Path, spec: FolderSpec) -> None:
    lines = []
    for set_name, images in spec.items():
        for image_id in images:
            record = {
                "image_id": image_id,
                "fate": set_name,
                "reason": None if set_name != "questionable" else "not_front",
                "detector_class": "car",
                "detector_conf": 0.91,
                "classifier_label": "front",
                "classifier_conf": 0.875,
                "output": f"final/{folder.name}/{set_name}/{image_id}.jpg",
            }
            lines.append(json.dumps(record))
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n")


def apply_from_command_line(folder: Path) -> subprocess.CompletedProcess[str]:
    """`python review_tool/app.py <folder> --apply`, as a user runs it from the repository."""
    return subprocess.run(
        [sys.executable, "review_tool/app.py", str(folder), "--apply"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
