"""Shared test fixtures: where detector weights and recorded pages come from.

Weights are found in one place. Where `../shared/models/` exists next to the repository (as on
the project's own machines and in CI), its files are used; elsewhere the names are handed to
Ultralytics, which downloads `yolov8n.pt` on a user's machine.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Set before any test imports ultralytics, so that it never tries to fetch anything.
os.environ.setdefault("YOLO_OFFLINE", "1")
# Set before any test imports filtering, and inherited by every run.py a test starts: the
# detector's exports are made once for the whole session, in a folder of its own, never in the
# user's cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="scars-tests-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SHARED_MODELS = SHARED / "models"
RECORDED_PAGES = SHARED / "fixtures" / "autoscout24"


@pytest.fixture(scope="session")
def detector_weights() -> Path:
    """The float YOLOv8n COCO detector (`yolov8n.pt`)."""
    local = SHARED_MODELS / "yolov8n.pt"
    return local if local.exists() else Path("yolov8n.pt")


@pytest.fixture(scope="session")
def onnx_detector_weights(detector_weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same detector for ONNX Runtime; exported from the float one where none is shipped."""
    local = SHARED_MODELS / "yolov8n_int8.onnx"
    if local.exists():
        return local
    from ultralytics import YOLO

    exported = YOLO(str(detector_weights)).export(format="onnx")
    return Path(exported)


@pytest.fixture(scope="session")
def recorded_pages() -> Path:
    """Real AutoScout24 pages recorded for offline tests."""
    if not RECORDED_PAGES.exists():
        pytest.skip(f"recorded pages not found at {RECORDED_PAGES}")
    return RECORDED_PAGES


@pytest.fixture(scope="session")
def bus_photo() -> Path:
    """The one real photo with a vehicle that the ultralytics package ships."""
    import ultralytics

    return Path(ultralytics.__file__).parent / "assets" / "bus.jpg"
