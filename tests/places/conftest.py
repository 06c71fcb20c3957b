"""Fixtures for the text → place tests: a tiny hand-made library and the shared district's."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.places import PlaceMatcher

# The shared synthetic district lives next to the repository, never inside it.
SHARED_DISTRICT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "district"


@dataclass(frozen=True)
class Rec:
    address_id: str
    kind: str
    name: str
    road: str
    number: int | None
    aliases: str
    lat: float
    lon: float
    grid_id: str


def _tiny() -> list[Rec]:
    """Two numbered segments of one corridor, a crossing road, a compound with buildings,
    a metro station and a park, in grids G1…G6."""
    recs = []
    for road, grid, lat in (("中山五路", "G1", 23.120), ("中山四路", "G2", 23.121)):
        for n in (1, 2, 3, 4, 5, 6, 8, 10, 12):  # 7, 9, 11 missing
            recs.append(Rec(f"{road}-{n}", "road_number", f"{road}{n}号", road, n, "",
                            lat, 113.27 + n * 1e-4, grid if n < 10 else grid + "b"))
    for n in range(1, 6):
        recs.append(Rec(f"北京路-{n}", "road_number", f"北京路{n}号", "北京路", n, "", 23.12 + n * 1e-4,
                        113.2711, "G3"))
    recs += [
        Rec("C1", "compound", "东湖新村", "东湖路", None, "东湖新邨", 23.11, 113.29, "G4"),
        Rec("B1", "building", "东湖新村3栋", "东湖路", None, "东湖新村3号楼;东湖新村三栋", 23.11, 113.291, "G5"),
        Rec("B2", "building", "东湖新村A座", "东湖路", None, "", 23.11, 113.292, "G4"),
        Rec("L1", "landmark", "农讲所地铁站", "中山四路", None, "农讲所站", 23.122, 113.278, "G6"),
        Rec("L2", "landmark", "人民公园", "北京路", None, "中央公园", 23.121, 113.2706, "G3"),
        Rec("L3", "landmark", "广东省人民医院", "中山四路", None, "省医", 23.1215, 113.2799, "G2"),
        Rec("X1", "intersection", "中山五路与北京路交叉口", "中山五路;北京路", None,
            "北京路与中山五路交叉口", 23.1201, 113.2711, "G3"),
    ]
    return recs


@pytest.fixture(scope="session")
def tiny() -> PlaceMatcher:
    return PlaceMatcher(_tiny())


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED_DISTRICT / "addresses.csv").is_file():
        pytest.fail(f"shared district not found at {SHARED_DISTRICT} (expected ../shared/data/district "
                    "next to the repository)")
    return SHARED_DISTRICT


@pytest.fixture(scope="session")
def district(shared_dir: Path) -> PlaceMatcher:
    return PlaceMatcher.from_district(shared_dir)
