"""load_district on the shared district, and one broken copy of the sample per kind of error."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bot.district import DistrictError, DistrictFiles, DutyHours, load_addresses, load_district
from bot.understanding import CATEGORIES


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    """Edit a district file, insisting the text to replace occurs exactly `count` times."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_feature(district: Path, index: int, **changes) -> None:
    """Change properties (or, with geometry=..., the geometry) of the index-th grid feature."""
    path = district / "grids.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    feature = doc["features"][index]
    if "geometry" in changes:
        feature["geometry"] = changes.pop("geometry")
    feature["properties"].update(changes)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def problems(district: Path) -> list[str]:
    with pytest.raises(DistrictError) as info:
        load_district(district)
    return info.value.messages


# ------------------------------------------------------------------------- shared district

def test_shared_district_counts(shared: DistrictFiles):
    assert (len(shared.grids), len(shared.officers), len(shared.departments)) == (1893, 2152, 44)
    assert (shared.district_id, shared.district_name) == ("YX", "越秀区")
    assert len({g.street_id for g in shared.grids}) == 18
    assert len({g.community_id for g in shared.grids}) == 222
    assert Counter(o.role for o in shared.officers) == {
        "grid_officer": 1687, "grid_leader": 222, "community_secretary": 222,
        "street_supervisor": 18, "district_supervisor": 3}
    assert shared.warnings == ()


def test_shared_district_records(shared: DistrictFiles):
    grid = shared.grids[0]
    assert grid.grid_id == "YX-BJ-01-01" and grid.community_name == "仓边社区"
    assert grid.polygon().is_valid and grid.geometry()["type"] == "Polygon"
    night = next(o for o in shared.officers if o.on_duty == "17:30-08:30")
    assert night.role == "district_supervisor" and night.scope_ids == ("YX",)
    assert night.duty == DutyHours(time(17, 30), time(8, 30))
    pair = next(o for o in shared.officers if len(o.scope_ids) == 2)
    assert pair.role == "grid_officer"
    leads = Counter(c for d in shared.departments for c in d.lead_categories)
    assert leads == Counter(CATEGORIES)


def test_shared_addresses_stream(shared: DistrictFiles):
    kinds = Counter(a.kind for a in shared.addresses())
    assert kinds == {"road_number": 15055, "compound": 999, "building": 7314, "landmark": 302,
                     "intersection": 100}
    first = next(shared.addresses())
    assert (first.name, first.number, first.aliases, first.grid_id) == (
        "沿江西路1号", 1, ("沿江西路一号",), "YX-RM-08-06")


# ------------------------------------------------------------------------------ DutyHours

def test_duty_hours_day_shift_is_start_inclusive_end_exclusive():
    day = DutyHours.parse("08:30-17:30")
    assert [day.covers(time(h, m)) for h, m in ((8, 29), (8, 30), (12, 0), (17, 29), (17, 30))] == [
        False, True, True, True, False]


def test_duty_hours_wrap_past_midnight():
    night = DutyHours.parse("17:30-08:30")
    assert night.covers(time(17, 30)) and night.covers(time(23, 59)) and night.covers(time(0, 0))
    assert night.covers(time(8, 29, 59))
    assert not night.covers(time(8, 30)) and not night.covers(time(12, 0))


def test_duty_hours_24h():
    always = DutyHours.parse("24h")
    assert always == DutyHours(None, None)
    assert all(always.covers(time(h, m)) for h in range(24) for m in (0, 59))


def test_duty_hours_takes_datetimes_in_district_time():
    day = DutyHours.parse("08:30-17:30")
    assert day.covers(datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc))  # 09:00 in Guangzhou
    assert not day.covers(datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc))  # 18:00
    assert day.covers(datetime(2026, 1, 5, 9, 0))  # naive: already local
    assert day.covers(datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=8))))


@pytest.mark.parametrize("text", ["8:30-17:30", "24:00-08:00", "08:30-17:60", "08:30", "always", "",
                                  "08:30-08:30", "08:30-12:00-17:30"])
def test_duty_hours_rejects(text):
    with pytest.raises(ValueError):
        DutyHours.parse(text)


# ------------------------------------------------------------------------------ validation

def test_sample_copy_is_clean(district_copy: Path):
    assert load_district(district_copy).warnings == ()


@pytest.mark.parametrize("name", ["grids.geojson", "officers.csv", "departments.csv", "addresses.csv"])
def test_missing_file(district_copy: Path, name: str):
    (district_copy / name).unlink()
    assert any(m.startswith(f"{name}: missing file") for m in problems(district_copy))


@pytest.mark.parametrize("name, column", [("officers.csv", "on_duty"), ("departments.csv", "lead_categories"),
                                          ("addresses.csv", "grid_id")])
def test_missing_column(district_copy: Path, name: str, column: str):
    replace_in(district_copy / name, f",{column}\n", "\n")
    assert f"{name} line 1: missing column {column}" in problems(district_copy)


def test_missing_grid_property(district_copy: Path):
    edit_feature(district_copy, 1, community_name="")
    assert problems(district_copy) == [
        "grids.geojson feature 2 (YX-RY-01-02): property 'community_name' missing or not a non-empty string"]


def test_row_with_wrong_field_count(district_copy: Path):
    replace_in(district_copy / "officers.csv", "YX-BZ,24h\n", "YX-BZ,24h,extra\n")
    assert "officers.csv line 4: 7 fields, the header has 6" in problems(district_copy)


def test_duplicate_officer_id(district_copy: Path):
    replace_in(district_copy / "officers.csv", "YX-O00003,", "YX-O00002,")
    assert problems(district_copy) == ["officers.csv line 4: duplicate officer_id 'YX-O00002' (first at line 3)"]


def test_duplicate_department_id(district_copy: Path):
    replace_in(district_copy / "departments.csv", "YX-D12,", "YX-D11,")
    assert problems(district_copy) == ["departments.csv line 13: duplicate dept_id 'YX-D11' (first at line 12)"]


def test_duplicate_grid_id(district_copy: Path):
    edit_feature(district_copy, 1, grid_id="YX-RY-01-01")
    messages = problems(district_copy)
    assert messages[0] == ("grids.geojson feature 2 (YX-RY-01-01): duplicate grid_id 'YX-RY-01-01' "
                           "(first at feature 1)")


def test_duplicate_phone(district_copy: Path):
    officers = district_copy / "officers.csv"
    first_phone = officers.read_text(encoding="utf-8").splitlines()[1].split(",")[2]
    second_phone = officers.read_text(encoding="utf-8").splitlines()[2].split(",")[2]
    replace_in(officers, second_phone, first_phone)
    assert problems(district_copy) == [f"officers.csv line 3: duplicate phone '{first_phone}' (first at line 2)"]


def test_unknown_role(district_copy: Path):
    replace_in(district_copy / "officers.csv", ",community_secretary,YX-RY-01,", ",secretary,YX-RY-01,")
    assert problems(district_copy) == [
        "officers.csv line 6: unknown role 'secretary' (expected one of grid_officer, grid_leader, "
        "community_secretary, street_supervisor, district_supervisor)"]


@pytest.mark.parametrize("old, new, message", [
    (",grid_officer,YX-BZ-02-04,", ",grid_officer,YX-BZ-02-05,",
     "officers.csv line 27: grid_officer scope names unknown grid YX-BZ-02-05"),
    (",grid_leader,YX-BZ-02,", ",grid_leader,YX-BZ-03,",
     "officers.csv line 11: grid_leader scope names unknown community_id 'YX-BZ-03'"),
    (",grid_leader,YX-BZ-02,", ",grid_leader,YX-BZ-02-01,",
     "officers.csv line 11: grid_leader scope names unknown community_id 'YX-BZ-02-01'"),
    (",street_supervisor,YX-BZ,", ",street_supervisor,YX-XX,",
     "officers.csv line 4: street_supervisor scope names unknown street_id 'YX-XX'"),
    (",district_supervisor,YX,", ",district_supervisor,GZ,",
     "officers.csv line 2: district_supervisor scope names unknown district id 'GZ'"),
    (",street_supervisor,YX-BZ,", ",street_supervisor,YX-BZ;YX-RY,",
     "officers.csv line 4: a street_supervisor has exactly one street_id in scope_ids, got 'YX-BZ;YX-RY'"),
])
def test_scope_naming_unknown_unit(district_copy: Path, old: str, new: str, message: str):
    replace_in(district_copy / "officers.csv", old, new)
    assert message in problems(district_copy)


def test_grid_officer_across_communities(district_copy: Path):
    # YX-O00026 looks after YX-BZ-02-04; give it YX-BZ-01-04 (another community) too.
    replace_in(district_copy / "officers.csv", ",grid_officer,YX-BZ-01-04,", ",grid_officer,YX-BZ-01-04;YX-BZ-02-04,")
    assert problems(district_copy) == [
        "officers.csv line 23: grid_officer covers grids of different communities: "
        "YX-BZ-01-04 (YX-BZ-01), YX-BZ-02-04 (YX-BZ-02)",
        "officers.csv line 27: grid YX-BZ-02-04 already has grid_officer YX-O00022 (line 23)"]


def test_grid_without_grid_officer_is_a_warning(district_copy: Path):
    officers = district_copy / "officers.csv"
    lines = officers.read_text(encoding="utf-8").splitlines(keepends=True)
    officers.write_text("".join(line for line in lines if ",grid_officer,YX-BZ-01-02," not in line),
                        encoding="utf-8")
    district = load_district(district_copy)
    assert district.warnings == ("officers.csv: grid YX-BZ-01-02 has no grid_officer",)
    assert len(district.officers) == 25


def test_missing_supervisors_are_warnings(district_copy: Path):
    officers = district_copy / "officers.csv"
    lines = officers.read_text(encoding="utf-8").splitlines(keepends=True)
    officers.write_text("".join(line for line in lines if "supervisor" not in line), encoding="utf-8")
    assert load_district(district_copy).warnings == (
        "officers.csv: street YX-BZ has no street_supervisor",
        "officers.csv: street YX-RY has no street_supervisor",
        "officers.csv: district YX has no district_supervisor")


@pytest.mark.parametrize("on_duty", ["8:30-17:30", "08:30-25:00", "08:30-08:30", "全天"])
def test_bad_on_duty(district_copy: Path, on_duty: str):
    replace_in(district_copy / "officers.csv", "YX,24h\n", f"YX,{on_duty}\n")
    messages = problems(district_copy)
    assert len(messages) == 1 and messages[0].startswith(f"officers.csv line 2: on_duty '{on_duty}'")


def test_category_not_in_taxonomy(district_copy: Path):
    replace_in(district_copy / "departments.csv", "water_leak;drainage,water_leak;drainage",
               "water_leak;drainage;flooding,water_leak;drainage;flood")
    assert problems(district_copy) == [
        "departments.csv line 4: categories names 'flooding', which is not in the category taxonomy",
        "departments.csv line 4: lead_categories names 'flood', which is not in the category taxonomy"]


def test_each_category_needs_exactly_one_lead(district_copy: Path):
    departments = district_copy / "departments.csv"
    replace_in(departments, ",wage_arrears,wage_arrears\n", ",wage_arrears,\n")
    replace_in(departments, "neighbor_dispute,public_security;noise;illegal_parking\n",
               "neighbor_dispute,public_security;noise;illegal_parking;neighbor_dispute\n")
    replace_in(departments, ",air_pollution;noise,air_pollution\n", ",air_pollution;noise,air_pollution;fire_hazard\n")
    assert problems(district_copy) == [
        "departments.csv line 5: lead category 'fire_hazard' is not among the department's categories",
        "departments.csv line 10: 'neighbor_dispute' already has lead department YX-D08 (line 9)",
        "departments.csv line 11: 'fire_hazard' already has lead department YX-D04 (line 5)",
        "departments.csv: no lead department for wage_arrears"]


@pytest.mark.parametrize("geometry, message", [
    ({"type": "Polygon", "coordinates": [[[113.26, 23.13], [113.27, 23.14], [113.27, 23.13], [113.26, 23.14],
                                          [113.26, 23.13]]]},
     "invalid polygon: Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[113.26, 23.13], [113.27, 23.13], [113.27, 23.14]]]},
     "exterior ring must be closed (first position = last) with at least 4 positions"),
    ({"type": "Polygon", "coordinates": [[[23.13, 113.26], [23.13, 113.27], [23.14, 113.27], [23.13, 113.26]]]},
     "exterior ring has a position outside lon -180..180 / lat -90..90"),
    ({"type": "Polygon", "coordinates": [[[113.26, "23.13"], [113.27, 23.13], [113.27, 23.14], [113.26, 23.13]]]},
     "exterior ring is not a list of [lon, lat] number pairs"),
    ({"type": "MultiPolygon", "coordinates": []}, "geometry must be a GeoJSON Polygon, got 'MultiPolygon'"),
    (None, "geometry must be a GeoJSON Polygon, got None"),
])
def test_invalid_polygon(district_copy: Path, geometry, message: str):
    edit_feature(district_copy, 4, geometry=geometry)
    messages = problems(district_copy)
    assert len(messages) == 1 and messages[0].startswith("grids.geojson feature 5 (YX-RY-02-01): ")
    assert message in messages[0]


def test_not_utf8(district_copy: Path):
    officers = district_copy / "officers.csv"
    officers.write_bytes(officers.read_text(encoding="utf-8").encode("gbk"))  # as Excel saves it
    assert problems(district_copy) == ["officers.csv: not UTF-8 text (Excel: save as 'CSV UTF-8')"]


def test_invalid_json(district_copy: Path):
    replace_in(district_copy / "grids.geojson", '"features": [\n', '"features": [\n,')
    assert problems(district_copy) == ["grids.geojson line 2 column 1: invalid JSON: Expecting value"]


def test_inconsistent_hierarchy(district_copy: Path):
    edit_feature(district_copy, 3, community_name="别的社区")
    edit_feature(district_copy, 5, street_name="别的街道")
    assert problems(district_copy) == [
        "grids.geojson (YX-RY-01-04): community YX-RY-01 is '别的社区' in YX-RY, but YX-RY-01-01 says '仙邻社区' in YX-RY",
        "grids.geojson (YX-RY-02-02): street YX-RY is named '别的街道', but YX-RY-01-01 says '榕荫街道'"]


def test_all_problems_are_reported_together(district_copy: Path):
    edit_feature(district_copy, 0, geometry=None)
    replace_in(district_copy / "officers.csv", "YX,24h\n", "YX,always\n")
    replace_in(district_copy / "officers.csv", ",grid_leader,YX-BZ-02,", ",boss,YX-BZ-02,")
    replace_in(district_copy / "departments.csv", "fire_hazard,fire_hazard", "fire,fire_hazard")
    with pytest.raises(DistrictError) as info:
        load_district(district_copy)
    files = [m.split(" ")[0] for m in info.value.messages]
    assert files.count("grids.geojson") >= 1 and files.count("officers.csv") >= 2
    assert files.count("departments.csv") >= 1
    assert str(info.value).startswith(f"{len(info.value.messages)} problems in district files:\n  - ")


# ------------------------------------------------------------------------------- addresses

def test_addresses_yield_good_rows_then_raise(district_copy: Path):
    addresses = district_copy / "addresses.csv"
    replace_in(addresses, ",road_number,榕荫路2号,榕荫路,2,", ",road_number,榕荫路2号,榕荫路,二,")
    replace_in(addresses, ",landmark,榕荫小学,", ",school,榕荫小学,")
    replace_in(addresses, ",YX-RY-01-01\n", ",YX-RY-09-09\n")
    replace_in(addresses, ",road_number,榕荫路4号,", ",road_number,榕荫路3号,")
    seen = []
    with pytest.raises(DistrictError) as info:
        for address in load_addresses(district_copy, load_district(district_copy).grid_ids()):
            seen.append(address.name)
    assert len(seen) == 139 - 4 and "榕荫路2号" not in seen
    assert info.value.messages == [
        "addresses.csv line 3: number '二' is not a positive house number",
        "addresses.csv line 5: duplicate name '榕荫路3号' (first at line 4)",
        "addresses.csv line 130: unknown kind 'school' (expected one of road_number, compound, building, "
        "landmark, intersection)",
        "addresses.csv line 131: unknown grid_id 'YX-RY-09-09'"]
