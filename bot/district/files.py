"""Read a district import directory into plain frozen records, checking everything up front.

A district is imported from four files (see the district README): grids.geojson, officers.csv,
departments.csv and addresses.csv. Importing half a district leaves tickets routed to nobody,
so `load_district` checks every value and reports *all* problems at once in one `DistrictError`,
each message naming the file and the line (CSV) or feature (GeoJSON). Records hold no shapely
objects: a grid keeps its rings as plain tuples, ready for a JSON/GeoJSON DB column.
"""
from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import shapely
from shapely.geometry import Polygon

from bot.understanding import CATEGORIES

GRIDS_FILE = "grids.geojson"
OFFICERS_FILE = "officers.csv"
DEPARTMENTS_FILE = "departments.csv"
ADDRESSES_FILE = "addresses.csv"

# Escalation chain, bottom to top: a ticket with nobody on duty climbs it.
ROLES = ("grid_officer", "grid_leader", "community_secretary", "street_supervisor",
         "district_supervisor")
ADDRESS_KINDS = ("road_number", "compound", "building", "landmark", "intersection")

# The district clock. China has had no DST since 1991, so a fixed offset needs no tzdata.
DISTRICT_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_GRID_PROPERTIES = ("grid_id", "grid_name", "community_id", "community_name", "street_id",
                    "street_name", "district_name")
_OFFICER_COLUMNS = ("officer_id", "name", "phone", "role", "scope_ids", "on_duty")
_DEPARTMENT_COLUMNS = ("dept_id", "name", "categories", "lead_categories")
_ADDRESS_COLUMNS = ("address_id", "kind", "name", "road", "number", "aliases", "lat", "lon",
                    "grid_id")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_PHONE = re.compile(r"1\d{10}")  # mainland mobile number
_BAD_ID = re.compile(r"[\s;]")  # ';' separates ids in scope_ids, so an id must not hold one

Ring = tuple[tuple[float, float], ...]


class _Place(NamedTuple):
    """Where a grid sits in the hierarchy; all that officer scopes refer to."""

    grid_id: str
    community_id: str
    street_id: str


class DistrictError(ValueError):
    """Everything wrong with a district import, one message per bad value."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        n = len(self.messages)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in district files:\n"
                         + "\n".join(f"  - {m}" for m in self.messages))


@dataclass(frozen=True)
class DutyHours:
    """When an officer is on duty, in district local time; `start`/`end` are None for 24h.

    The interval is start-inclusive, end-exclusive, and an end earlier than the start wraps
    past midnight (`17:30-08:30` covers 23:00 and 07:00).
    """

    start: time | None
    end: time | None

    @classmethod
    def parse(cls, text: str) -> DutyHours:
        """Parse `HH:MM-HH:MM` or `24h`; raises ValueError saying what was expected."""
        if text == "24h":
            return cls(None, None)
        parts = text.split("-")
        if len(parts) != 2 or not all(_HHMM.fullmatch(p) for p in parts):
            raise ValueError(f"on_duty {text!r} is neither 'HH:MM-HH:MM' nor '24h'")
        start, end = (time.fromisoformat(p) for p in parts)
        if start == end:
            raise ValueError(f"on_duty {text!r} starts and ends at the same time; write '24h'")
        return cls(start, end)

    def covers(self, local_time: time | datetime) -> bool:
        """True if on duty at `local_time`; an aware datetime is first moved to district time."""
        if isinstance(local_time, datetime):
            if local_time.tzinfo is not None:
                local_time = local_time.astimezone(DISTRICT_TZ)
            local_time = local_time.time()
        if self.start is None or self.end is None:
            return True
        if self.start < self.end:
            return self.start <= local_time < self.end
        return local_time >= self.start or local_time < self.end


@dataclass(frozen=True)
class GridRecord:
    """One grid cell; `rings` are GeoJSON (lon, lat) rings, the exterior first, then holes."""

    grid_id: str
    grid_name: str
    community_id: str
    community_name: str
    street_id: str
    street_name: str
    district_name: str
    rings: tuple[Ring, ...]

    def polygon(self) -> Polygon:
        return Polygon(self.rings[0], self.rings[1:])

    def geometry(self) -> dict:
        """The GeoJSON geometry object, e.g. for a JSON column."""
        return {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in self.rings]}


@dataclass(frozen=True)
class OfficerRecord:
    officer_id: str
    name: str
    phone: str
    role: str
    scope_ids: tuple[str, ...]
    on_duty: str  # as written in the file
    duty: DutyHours


@dataclass(frozen=True)
class DepartmentRecord:
    dept_id: str
    name: str
    categories: tuple[str, ...]
    lead_categories: tuple[str, ...]  # categories for which this is the default dispatch target


@dataclass(frozen=True)
class AddressRecord:
    address_id: str
    kind: str
    name: str
    road: str  # for an intersection the two roads as 'A;B', as in the file
    number: int | None
    aliases: tuple[str, ...]
    lat: float
    lon: float
    grid_id: str


@dataclass(frozen=True)
class DistrictFiles:
    """A checked district. `warnings` are gaps the bot survives by escalating up the chain."""

    path: Path
    district_id: str
    district_name: str
    grids: tuple[GridRecord, ...]
    officers: tuple[OfficerRecord, ...]
    departments: tuple[DepartmentRecord, ...]
    warnings: tuple[str, ...]

    def grid_ids(self) -> frozenset[str]:
        return frozenset(g.grid_id for g in self.grids)

    def addresses(self) -> Iterator[AddressRecord]:
        """Stream addresses.csv (23k rows in the full district), checking grid ids against ours."""
        return load_addresses(self.path, self.grid_ids())


def load_district(path: str | Path) -> DistrictFiles:
    """Read and check grids, officers and departments, plus the header of addresses.csv.

    Raises DistrictError listing every problem found. Addresses are streamed separately with
    `DistrictFiles.addresses()` / `load_addresses()` because the file is large.
    """
    path = Path(path)
    errors: list[str] = []
    warnings: list[str] = []
    grids, places = _read_grids(path / GRIDS_FILE, errors)
    district_id, district_name = _district_identity(grids, places, errors)
    officers = _read_officers(path / OFFICERS_FILE, places, district_id, errors, warnings)
    departments = _read_departments(path / DEPARTMENTS_FILE, errors)
    addresses = _read_csv(path / ADDRESSES_FILE, _ADDRESS_COLUMNS, errors)
    next(addresses, None)  # the header and first row now; the rest when streamed
    addresses.close()
    if errors:
        raise DistrictError(errors)
    return DistrictFiles(path, district_id, district_name, tuple(grids), tuple(officers),
                         tuple(departments), tuple(warnings))


def load_addresses(path: str | Path,
                   grid_ids: Iterable[str] | None = None) -> Iterator[AddressRecord]:
    """Yield the good rows of `path`/addresses.csv while reading it.

    Bad rows are not yielded; after the last row a DistrictError lists them all, so an import
    running inside one transaction rolls back. Given `grid_ids`, a row naming another grid is bad.
    """
    path = Path(path) / ADDRESSES_FILE
    known = None if grid_ids is None else frozenset(grid_ids)
    errors: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for line, row in _read_csv(path, _ADDRESS_COLUMNS, errors):
        before = len(errors)
        where = f"{ADDRESSES_FILE} line {line}"
        _check_unique(where, "address_id", row["address_id"], line, seen_ids, errors)
        _check_unique(where, "name", row["name"], line, seen_names, errors)
        kind = row["kind"]
        if kind not in ADDRESS_KINDS:
            errors.append(f"{where}: unknown kind {kind!r} (expected one of {', '.join(ADDRESS_KINDS)})")
        number = None
        if kind == "road_number":
            if not row["number"].isdecimal() or int(row["number"]) == 0:
                errors.append(f"{where}: number {row['number']!r} is not a positive house number")
            else:
                number = int(row["number"])
        elif row["number"]:
            errors.append(f"{where}: number {row['number']!r} given for a {kind}, only road_number has one")
        if kind == "intersection" and len(_split(row["road"])) != 2:
            errors.append(f"{where}: road {row['road']!r} of an intersection must name two roads as 'A;B'")
        elif not row["road"]:
            errors.append(f"{where}: empty road")
        lat = _coordinate(where, "lat", row["lat"], 90, errors)
        lon = _coordinate(where, "lon", row["lon"], 180, errors)
        if known is not None and row["grid_id"] not in known:
            errors.append(f"{where}: unknown grid_id {row['grid_id']!r}")
        if len(errors) == before:
            yield AddressRecord(row["address_id"], kind, row["name"], row["road"], number,
                                _split(row["aliases"]), lat, lon, row["grid_id"])
    if errors:
        raise DistrictError(errors)


# --------------------------------------------------------------------------------- grids

def _read_grids(path: Path, errors: list[str]) -> tuple[list[GridRecord], list[_Place]]:
    """The good grids, and the place of every feature whose ids are readable.

    Officer scopes are checked against the places, so one broken polygon yields one message
    rather than another for each officer of that grid.
    """
    if not path.is_file():
        errors.append(f"{GRIDS_FILE}: missing file ({path})")
        return [], []
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        errors.append(f"{GRIDS_FILE}: not UTF-8 text")
        return [], []
    except json.JSONDecodeError as e:
        errors.append(f"{GRIDS_FILE} line {e.lineno} column {e.colno}: invalid JSON: {e.msg}")
        return [], []
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(features, list):
        errors.append(f"{GRIDS_FILE}: not a GeoJSON FeatureCollection with a 'features' list")
        return [], []
    grids: list[GridRecord] = []
    places: list[_Place] = []
    seen: dict[str, int] = {}
    for n, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        label = props.get("grid_id")
        where = f"{GRIDS_FILE} feature {n}" + (f" ({label})" if isinstance(label, str) and label else "")
        before = len(errors)
        values = {}
        for key in _GRID_PROPERTIES:
            value = props.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.append(f"{where}: property {key!r} missing or not a non-empty string")
            else:
                values[key] = value.strip()
        for key in ("grid_id", "community_id", "street_id"):
            if key in values and _BAD_ID.search(values[key]):
                errors.append(f"{where}: {key} {values[key]!r} contains whitespace or ';'")
        if "grid_id" in values:
            _check_unique(where, "grid_id", values["grid_id"], n, seen, errors, unit="feature")
        if all(key in values for key in _Place._fields):
            places.append(_Place(*(values[key] for key in _Place._fields)))
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        rings = _polygon_rings(where, geometry, errors)
        if len(errors) == before:
            grids.append(GridRecord(**values, rings=rings))
    if not features:
        errors.append(f"{GRIDS_FILE}: no features")
    _check_hierarchy(grids, errors)
    return grids, places


def _polygon_rings(where: str, geometry, errors: list[str]) -> tuple[Ring, ...]:
    """The rings of a GeoJSON Polygon, or () after reporting why they are unusable."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        errors.append(f"{where}: geometry must be a GeoJSON Polygon, got {kind!r}")
        return ()
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or not coords:
        errors.append(f"{where}: Polygon has no rings")
        return ()
    rings = []
    for k, ring in enumerate(coords):
        name = "exterior ring" if k == 0 else f"hole {k}"
        if not isinstance(ring, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(_is_number(c) for c in p) for p in ring):
            errors.append(f"{where}: {name} is not a list of [lon, lat] number pairs")
            return ()
        ring = tuple((float(p[0]), float(p[1])) for p in ring)
        if any(not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90)
               for lon, lat in ring):
            errors.append(f"{where}: {name} has a position outside lon -180..180 / lat -90..90 "
                          "(GeoJSON order is [lon, lat])")
            return ()
        if len(ring) < 4 or ring[0] != ring[-1]:
            errors.append(f"{where}: {name} must be closed (first position = last) with at least 4 positions")
            return ()
        rings.append(ring)
    polygon = Polygon(rings[0], rings[1:])
    if not polygon.is_valid:
        errors.append(f"{where}: invalid polygon: {shapely.is_valid_reason(polygon)}")
        return ()
    return tuple(rings)


def _check_hierarchy(grids: list[GridRecord], errors: list[str]) -> None:
    """A community lies in one street and has one name; a street has one name."""
    community: dict[str, tuple[str, str, str]] = {}
    street: dict[str, tuple[str, str]] = {}
    for g in grids:
        first = community.setdefault(g.community_id, (g.community_name, g.street_id, g.grid_id))
        if first[:2] != (g.community_name, g.street_id):
            errors.append(f"{GRIDS_FILE} ({g.grid_id}): community {g.community_id} is "
                          f"{g.community_name!r} in {g.street_id}, but {first[2]} says "
                          f"{first[0]!r} in {first[1]}")
        first_street = street.setdefault(g.street_id, (g.street_name, g.grid_id))
        if first_street[0] != g.street_name:
            errors.append(f"{GRIDS_FILE} ({g.grid_id}): street {g.street_id} is named "
                          f"{g.street_name!r}, but {first_street[1]} says {first_street[0]!r}")


def _district_identity(grids: list[GridRecord], places: list[_Place],
                       errors: list[str]) -> tuple[str, str]:
    """The district's name (one per import) and id, the common prefix of street ids (`YX-HQ` → `YX`)."""
    names = sorted({g.district_name for g in grids})
    ids = sorted({p.street_id.split("-")[0] for p in places})
    if len(names) > 1:
        errors.append(f"{GRIDS_FILE}: one district per import, found district_name {', '.join(names)}")
    if len(ids) > 1:
        errors.append(f"{GRIDS_FILE}: street ids must share the district prefix 'XX-', found {', '.join(ids)}")
    return (ids[0] if ids else ""), (names[0] if names else "")


# ------------------------------------------------------------------------------ officers

def _read_officers(path: Path, places: list[_Place], district_id: str,
                   errors: list[str], warnings: list[str]) -> list[OfficerRecord]:
    scopes = _Scopes(places, district_id)
    officers: list[OfficerRecord] = []
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    for line, row in _read_csv(path, _OFFICER_COLUMNS, errors):
        before = len(errors)
        where = f"{OFFICERS_FILE} line {line}"
        _check_unique(where, "officer_id", row["officer_id"], line, seen_ids, errors)
        _check_unique(where, "phone", row["phone"], line, seen_phones, errors)
        if not row["name"]:
            errors.append(f"{where}: empty name")
        if not _PHONE.fullmatch(row["phone"]):
            errors.append(f"{where}: phone {row['phone']!r} is not an 11-digit mobile number")
        role, scope = row["role"], _split(row["scope_ids"])
        if role not in ROLES:
            errors.append(f"{where}: unknown role {role!r} (expected one of {', '.join(ROLES)})")
        elif not scope:
            errors.append(f"{where}: empty scope_ids")
        elif places:  # with no readable grid there is nothing to check a scope against
            scopes.check(where, line, row["officer_id"], role, scope, errors)
        try:
            duty = DutyHours.parse(row["on_duty"])
        except ValueError as e:
            errors.append(f"{where}: {e}")
        if len(errors) == before:
            officers.append(OfficerRecord(row["officer_id"], row["name"], row["phone"], role, scope,
                                          row["on_duty"], duty))
    if path.is_file():
        _warn_uncovered(places, officers, scopes.grid_officer_of, district_id, warnings)
    return officers


class _Scopes:
    """Checks officer scopes against the hierarchy, remembering each grid's grid_officer."""

    def __init__(self, places: list[_Place], district_id: str):
        self.grid_community = {p.grid_id: p.community_id for p in places}
        self.known = {
            "grid_leader": ("community_id", {p.community_id for p in places}),
            "community_secretary": ("community_id", {p.community_id for p in places}),
            "street_supervisor": ("street_id", {p.street_id for p in places}),
            "district_supervisor": ("district id", {district_id}),
        }
        self.grid_officer_of: dict[str, tuple[str, int]] = {}

    def check(self, where: str, line: int, officer_id: str, role: str, scope: tuple[str, ...],
              errors: list[str]) -> None:
        if role != "grid_officer":
            kind, known = self.known[role]
            if len(scope) != 1:
                errors.append(f"{where}: a {role} has exactly one {kind} in scope_ids, got {';'.join(scope)!r}")
            elif scope[0] not in known:
                errors.append(f"{where}: {role} scope names unknown {kind} {scope[0]!r}")
            return
        community = self.grid_community
        unknown = [s for s in scope if s not in community]
        if unknown:
            errors.append(f"{where}: grid_officer scope names unknown grid {', '.join(unknown)}")
        elif len({community[s] for s in scope}) > 1:
            errors.append(f"{where}: grid_officer covers grids of different communities: "
                          + ", ".join(f"{s} ({community[s]})" for s in scope))
        for s in scope:
            if s in self.grid_officer_of and s in community:
                other, other_line = self.grid_officer_of[s]
                errors.append(f"{where}: grid {s} already has grid_officer {other} (line {other_line})")
            self.grid_officer_of.setdefault(s, (officer_id, line))


def _warn_uncovered(places: list[_Place], officers: list[OfficerRecord],
                    grid_officer_of: dict[str, tuple[str, int]], district_id: str,
                    warnings: list[str]) -> None:
    """Name every grid, community, street and district that nobody holds."""
    held = {(o.role, s) for o in officers for s in o.scope_ids}
    for p in places:
        if p.grid_id not in grid_officer_of:
            warnings.append(f"{OFFICERS_FILE}: grid {p.grid_id} has no grid_officer")
    for role in ("grid_leader", "community_secretary"):
        for c in sorted({p.community_id for p in places}):
            if (role, c) not in held:
                warnings.append(f"{OFFICERS_FILE}: community {c} has no {role}")
    for s in sorted({p.street_id for p in places}):
        if ("street_supervisor", s) not in held:
            warnings.append(f"{OFFICERS_FILE}: street {s} has no street_supervisor")
    if places and ("district_supervisor", district_id) not in held:
        warnings.append(f"{OFFICERS_FILE}: district {district_id} has no district_supervisor")


# --------------------------------------------------------------------------- departments

def _read_departments(path: Path, errors: list[str]) -> list[DepartmentRecord]:
    departments: list[DepartmentRecord] = []
    seen: dict[str, int] = {}
    lead_of: dict[str, tuple[str, int]] = {}
    for line, row in _read_csv(path, _DEPARTMENT_COLUMNS, errors):
        before = len(errors)
        where = f"{DEPARTMENTS_FILE} line {line}"
        _check_unique(where, "dept_id", row["dept_id"], line, seen, errors)
        if not row["name"]:
            errors.append(f"{where}: empty name")
        categories, leads = _split(row["categories"]), _split(row["lead_categories"])
        for column, values in (("categories", categories), ("lead_categories", leads)):
            for c in values:
                if c not in CATEGORIES:
                    errors.append(f"{where}: {column} names {c!r}, which is not in the category taxonomy")
        for c in dict.fromkeys(leads):
            if c in CATEGORIES and c not in categories:
                errors.append(f"{where}: lead category {c!r} is not among the department's categories")
            if c in lead_of:
                errors.append(f"{where}: {c!r} already has lead department {lead_of[c][0]} (line {lead_of[c][1]})")
            lead_of.setdefault(c, (row["dept_id"], line))
        if len(errors) == before:
            departments.append(DepartmentRecord(row["dept_id"], row["name"], categories, leads))
    if path.is_file():
        missing = [c for c in CATEGORIES if c not in lead_of]
        if missing:
            errors.append(f"{DEPARTMENTS_FILE}: no lead department for {', '.join(missing)}")
    return departments


# --------------------------------------------------------------------------------- common

def _read_csv(path: Path, columns: tuple[str, ...],
              errors: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, stripped row) for rows with exactly the header's field count."""
    if not path.is_file():
        errors.append(f"{path.name}: missing file ({path})")
        return
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in columns if c not in header]
            if missing:
                errors.append(f"{path.name} line 1: missing column {', '.join(missing)}")
                return
            for fields in reader:
                if not fields:
                    continue
                if len(fields) != len(header):
                    errors.append(f"{path.name} line {reader.line_num}: {len(fields)} fields, "
                                  f"the header has {len(header)}")
                    continue
                yield reader.line_num, {k: v.strip() for k, v in zip(header, fields)}
        except UnicodeDecodeError:
            errors.append(f"{path.name}: not UTF-8 text (Excel: save as 'CSV UTF-8')")


def _check_unique(where: str, key: str, value: str, position: int, seen: dict[str, int],
                  errors: list[str], unit: str = "line") -> None:
    if not value:
        errors.append(f"{where}: empty {key}")
    elif value in seen:
        errors.append(f"{where}: duplicate {key} {value!r} (first at {unit} {seen[value]})")
    else:
        seen[value] = position


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _coordinate(where: str, key: str, value: str, limit: float, errors: list[str]) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and -limit <= number <= limit):
        errors.append(f"{where}: {key} {value!r} is not a number within ±{limit}")
    return number


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
