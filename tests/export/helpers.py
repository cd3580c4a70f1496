"""Running the export command as a user does, and reading what it wrote."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_export(cwd: Path, *args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    """`python filtering/export.py ...` (or `python -m filtering.export`) from `cwd`."""
    env = {**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT) if module else ""}
    entry = ["-m", "filtering.export"] if module else [str(REPO_ROOT / "filtering" / "export.py")]
    command = [sys.executable, *entry, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` by relative path, with the SHA-256 of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def exported_files(out: Path) -> dict[tuple[str, str], list[Path]]:
    """The image files of an export by (split, set)."""
    files: dict[tuple[str, str], list[Path]] = {}
    for path in sorted(out.glob("*/*/*.jpg")):
        files.setdefault((path.parent.parent.name, path.parent.name), []).append(path)
    return files


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as table:
        reader = csv.DictReader(table)
        return list(reader.fieldnames or []), list(reader)


def manifest_rows(raw: Path) -> dict[str, dict[str, Any]]:
    return {row["image_id"]: row for row in jsonl_rows(raw / "manifest.jsonl")}


def card_counts(card: str) -> dict[str, dict[str, int]]:
    """The card's count table: split (and `all`) -> set (and `all`) -> images."""
    lines = [line for line in card.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    table = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0]] = {name: int(n) for name, n in zip(header[1:], cells[1:], strict=True)}
    return table
