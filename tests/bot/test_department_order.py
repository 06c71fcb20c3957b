"""转办 offers the category's lead department first, the router's confident suggestion next, then the rest."""
from __future__ import annotations

from bot.routing import departments_for

CITY, HOUSING, WATER, POLICE, ECOLOGY = "YX-D01", "YX-D02", "YX-D03", "YX-D08", "YX-D04"


async def order(db, config, category: str, suggested: str | None = None) -> list[str]:
    async with db.session() as session:
        return [d.id for d in await departments_for(session, config, category, suggested)]


async def test_the_lead_department_comes_first_even_when_the_router_suggests_another(db, config):
    assert (await order(db, config, "drainage", HOUSING))[:2] == [WATER, HOUSING]
    assert (await order(db, config, "garbage", HOUSING))[:2] == [CITY, HOUSING]
    assert await order(db, config, "noise", HOUSING) == [POLICE, HOUSING, CITY, ECOLOGY]


async def test_without_a_suggestion_the_lead_then_the_others_that_handle_it(db, config):
    assert await order(db, config, "noise") == [POLICE, CITY, ECOLOGY]
    assert await order(db, config, "drainage", WATER) == [WATER]  # the suggestion is the lead: once


async def test_the_config_names_the_lead_over_the_district_data(db, config):
    categories = {**config.categories, "noise": config.categories["noise"].copy_with(department=ECOLOGY)}
    assert await order(db, config.copy_with(categories=categories), "noise", HOUSING) == [ECOLOGY, HOUSING, CITY, POLICE]
