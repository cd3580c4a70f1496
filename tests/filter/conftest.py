"""Fixtures of the filtering tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from filtering.settings import FilterSettings


@pytest.fixture
def settings(tmp_path: Path, detector_weights: Path) -> FilterSettings:
    return FilterSettings(data=tmp_path / "data", detector=str(detector_weights))
