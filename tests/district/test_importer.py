"""Importing a district into the database, and importing a changed one again."""
import shutil

from sqlalchemy import select

from bot.district import SAMPLE_DIR
from bot.district.files import load_district
from bot.district.importer import import_district, load_grid_index
from storage.db import Database
from storage.models import Officer, OfficerScope


async def test_reimport_applies_the_difference(config, tmp_path):
    changed = tmp_path / "district"
    shutil.copytree(SAMPLE_DIR, changed)
    officers = (changed / "officers.csv").read_text(encoding="utf-8").splitlines()
    moved = [line.replace("YX-BZ-01-03,13:00-22:00", "YX-BZ-01-04,13:00-22:00") for line in officers
             if not line.startswith("YX-O00022,")]  # YX-O00022 leaves, YX-O00021 takes over its grid
    (changed / "officers.csv").write_text("\n".join(moved) + "\n", encoding="utf-8")
    header, first, second, *rest = (changed / "addresses.csv").read_text(encoding="utf-8").splitlines()
    renamed = first.replace("榕荫路一号", "榕荫路壹号")  # an alias corrected
    extra = second.replace("YX-A000002", "YX-A999999").replace("榕荫路2号,", "榕荫路2号之一,").replace(
        "榕荫路二号", "榕荫路二号之一")  # a new entrance; the old second row is dropped
    (changed / "addresses.csv").write_text("\n".join([header, renamed, extra, *rest]) + "\n", encoding="utf-8")

    db = Database(config.database.url)  # already holds the sample district
    async with db.session() as s:
        report = await import_district(s, load_district(changed))
    assert report.updated == {"officer scopes": 1, "addresses": 1}
    assert report.deactivated == {"officers": 1}
    assert report.added == {"addresses": 1} and report.removed == {"addresses": 1}
    async with db.session() as s:
        gone = await s.get(Officer, "YX-O00022")
        assert gone is not None and not gone.active  # kept for the cases that name it
        scopes = (await s.execute(select(OfficerScope.scope_id).where(OfficerScope.officer_id == "YX-O00021"))).all()
        assert [x for (x,) in scopes] == ["YX-BZ-01-04"]
        index = await load_grid_index(s)
    assert index.locate(23.1291, 113.2644) == "YX-BZ-01-03"
    async with db.session() as s:
        again = await import_district(s, load_district(changed))
    assert again.lines() == ["no changes"]
    await db.dispose()
