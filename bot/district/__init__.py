"""A district's grids, officers, departments and addresses, read from its import files.

`load_district` reads and checks a district directory, `GridIndex` maps a point to its grid,
and `bot.district.sample` generates the small bundled demo district in `SAMPLE_DIR`.
"""
from pathlib import Path

from bot.district.files import (
    ADDRESS_KINDS, DISTRICT_TZ, ROLES, AddressRecord, DepartmentRecord, DistrictError,
    DistrictFiles, DutyHours, GridRecord, OfficerRecord, load_addresses, load_district,
)
from bot.district.geo import GridIndex

SAMPLE_DIR = Path(__file__).with_name("sample")

__all__ = [
    "ADDRESS_KINDS", "DISTRICT_TZ", "ROLES", "SAMPLE_DIR", "AddressRecord", "DepartmentRecord",
    "DistrictError", "DistrictFiles", "DutyHours", "GridIndex", "GridRecord", "OfficerRecord",
    "load_addresses", "load_district",
]
