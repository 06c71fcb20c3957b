"""The bundled sample district: current, deterministic, valid, and its addresses in their grids."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import shapely

from bot.district import ROLES, SAMPLE_DIR, GridIndex, load_district
from bot.district.sample import LAT0, LON0, write_sample
from bot.understanding import CATEGORIES

REPO = Path(__file__).resolve().parents[2]


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_generator_is_byte_identical_and_bundled_copy_is_current(tmp_path: Path):
    first = files_of(write_sample(tmp_path / "a"))
    assert files_of(write_sample(tmp_path / "b")) == first
    assert set(first) == {"README.md", "grids.geojson", "officers.csv", "departments.csv", "addresses.csv"}
    bundled = files_of(SAMPLE_DIR)
    stale = [name for name in first if bundled.get(name) != first[name]]
    assert not stale, f"bundled sample is stale ({stale}); run: python -m bot.district.sample bot/district/sample"
    assert sum(len(b) for b in bundled.values()) < 200_000


def test_command_line(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "bot.district.sample", str(tmp_path / "out")],
                            cwd=REPO, capture_output=True, text=True, check=True)
    assert "16 grids" in result.stdout
    assert files_of(tmp_path / "out") == files_of(SAMPLE_DIR)


def test_sample_passes_validation_with_every_role():
    district = load_district(SAMPLE_DIR)
    assert district.warnings == ()
    assert (len(district.grids), len({g.community_id for g in district.grids}),
            len({g.street_id for g in district.grids})) == (16, 4, 2)
    roles = Counter(o.role for o in district.officers)
    assert set(roles) == set(ROLES) and roles["district_supervisor"] == 1
    assert next(o for o in district.officers if o.role == "district_supervisor").on_duty == "24h"
    assert all(o.officer_id == f"YX-O{k:05d}" for k, o in enumerate(district.officers, start=1))
    assert all(o.phone.startswith("1380000") for o in district.officers)
    assert Counter(c for d in district.departments for c in d.lead_categories) == Counter(CATEGORIES)


def test_sample_addresses_lie_strictly_inside_their_grids():
    district = load_district(SAMPLE_DIR)
    index = GridIndex(district.grids)
    polygons = {g.grid_id: g.polygon() for g in district.grids}
    addresses = list(district.addresses())
    assert 30 <= len(addresses) <= 200
    assert set(Counter(a.kind for a in addresses)) == {"road_number", "compound", "building", "landmark",
                                                         "intersection"}
    for a in addresses:
        assert index.locate(a.lat, a.lon) == a.grid_id, a.name
        assert polygons[a.grid_id].contains(shapely.Point(a.lon, a.lat)), a.name  # not on an edge


def test_demo_centre_and_exact_ties():
    district = load_district(SAMPLE_DIR)
    index = GridIndex(district.grids)
    assert index.locate(LAT0, LON0) == "YX-BZ-01-03"
    cell = next(g for g in district.grids if g.grid_id == "YX-BZ-01-03").rings[0]
    (west, south), (east, _), (_, north) = cell[0], cell[1], cell[2]
    # The south-west corner is shared by four grids, the west edge by two; rectangles make the
    # midpoint lie exactly on the edge, so these really are ties.
    assert index.locate(south, west) == "YX-BZ-01-03"
    assert index.locate((south + north) / 2, west) == "YX-BZ-01-03"
    # The north edge touches YX-BZ-01-01 (smaller id), which therefore wins there.
    assert index.locate(north, (west + east) / 2) == "YX-BZ-01-01"
    assert not index.district_contains(LAT0 + 0.02, LON0)
