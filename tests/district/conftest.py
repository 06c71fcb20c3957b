"""Fixtures for the district tests: the shared synthetic district and editable sample copies."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.district import SAMPLE_DIR, DistrictFiles, GridIndex, load_district

# The shared synthetic district lives next to the repository, never inside it.
SHARED_DISTRICT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "district"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED_DISTRICT / "grids.geojson").is_file():
        pytest.fail(f"shared district not found at {SHARED_DISTRICT} (expected ../shared/data/district "
                    "next to the repository)")
    return SHARED_DISTRICT


@pytest.fixture(scope="session")
def shared(shared_dir: Path) -> DistrictFiles:
    return load_district(shared_dir)


@pytest.fixture(scope="session")
def shared_index(shared: DistrictFiles) -> GridIndex:
    return GridIndex(shared.grids)


@pytest.fixture
def district_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample district, for breaking on purpose."""
    return Path(shutil.copytree(SAMPLE_DIR, tmp_path / "district"))

