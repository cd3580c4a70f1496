"""Fixtures of the filtering tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from filtering.settings import FilterSettings
from tests.filter.scenes import labelled_crops, train_classifier


@pytest.fixture
def settings(tmp_path: Path, detector_weights: Path) -> FilterSettings:
    return FilterSettings(data=tmp_path / "data", detector=str(detector_weights))


@pytest.fixture(scope="session")
def tiny_classifier(
    tmp_path_factory: pytest.TempPathFactory, bus_photo: Path, detector_weights: Path
) -> Path:
    """A front-facing classifier trained here in seconds: colour bus crops are `front`, grey
    ones `front_angled`, anything else `other` (see scenes.labelled_crops)."""
    root = tmp_path_factory.mktemp("classifier")
    data = labelled_crops(bus_photo, root / "data")
    return train_classifier(data, detector_weights, root / "runs", epochs=25, imgsz=64)
