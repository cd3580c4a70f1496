"""Fixtures for the review tool: small model folders in the filtering's output layout."""

from __future__ import annotations

from collections.abc import Callable
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
