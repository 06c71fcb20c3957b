"""Choosing who acts: on-duty first, substitutes for absentees, then up the chain."""
from datetime import datetime, timedelta, timezone

from bot.routing import choose_handler, rung_reach
from storage.models import Officer, OfficerLeave

NOON = datetime(2026, 11, 24, 4, 0, tzinfo=timezone.utc)  # 12:00 in Guangzhou
NIGHT = datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)  # 00:00 in Guangzhou


def officer(oid: str, role: str, on_duty: str = "08:30-17:30", joined: bool = True) -> Officer:
    return Officer(id=oid, name=oid, phone="", role=role, on_duty=on_duty, active=True,
                   person_id=hash(oid) % 1000 if joined else None)


GRID = officer("O1", "grid_officer")
LEADER = officer("O2", "grid_leader", "24h")
SECRETARY = officer("O3", "community_secretary")
NIGHT_DESK = officer("O9", "district_supervisor", "17:30-08:30")
CHAIN = (GRID, LEADER, SECRETARY, NIGHT_DESK)


def leave(oid: str, substitute: str | None) -> OfficerLeave:
    return OfficerLeave(officer_id=oid, substitute_id=substitute, starts_at=NOON - timedelta(hours=1),
                        ends_at=NOON + timedelta(days=1))


def test_the_grid_officer_on_duty_gets_it():
    _, chosen, why = choose_handler(CHAIN, {}, {}, NOON)
    assert (chosen.id, why) == ("O1", "on_duty")


def test_at_night_the_first_post_on_duty_gets_it():
    _, chosen, why = choose_handler(CHAIN, {}, {}, NIGHT)
    assert (chosen.id, why) == ("O2", "on_duty")


def test_a_substitute_stands_in_for_an_officer_on_leave():
    stand_in = officer("O7", "grid_officer")
    chain, chosen, why = choose_handler(CHAIN, {"O1": leave("O1", "O7")}, {"O7": stand_in}, NOON)
    assert (chosen.id, why) == ("O7", "substitute")
    assert [o.id for o in chain][:2] == ["O7", "O2"]


def test_leave_without_substitute_goes_up_the_chain():
    _, chosen, _ = choose_handler(CHAIN, {"O1": leave("O1", None)}, {}, NOON)
    assert chosen.id == "O2"


def test_nobody_on_duty_means_the_first_joined_post_waits_for_its_shift():
    day_only = tuple(officer(o.id, o.role, "08:30-17:30") for o in CHAIN)
    _, chosen, why = choose_handler(day_only, {}, {}, NIGHT)
    assert (chosen.id, why) == ("O1", "off_duty")


def test_nobody_joined_still_names_the_grid_officer():
    unjoined = tuple(officer(o.id, o.role, o.on_duty, joined=False) for o in CHAIN)
    _, chosen, why = choose_handler(unjoined, {}, {}, NOON)
    assert (chosen.id, why) == ("O1", "not_joined")


# ---------------------------------------------------------------- whom a rung of the escalation ladder reaches
STREET = officer("O4", "street_supervisor")
DISTRICT = officer("O5", "district_supervisor")


def unjoined(o: Officer) -> Officer:
    return officer(o.id, o.role, o.on_duty, joined=False)


def test_a_rung_reaches_its_own_post_when_it_has_joined():
    reach = rung_reach((GRID, LEADER, SECRETARY, STREET, DISTRICT), "community_secretary", GRID)
    assert [o.id for o in reach.officers] == ["O3"] and not reach.nobody


def test_a_rung_whose_post_has_not_joined_goes_to_the_nearest_joined_post_above():
    chain = (GRID, unjoined(LEADER), unjoined(SECRETARY), STREET, DISTRICT)
    assert [o.id for o in rung_reach(chain, "grid_leader", GRID).officers] == ["O4"]


def test_above_the_district_supervisor_comes_the_duty_chat():
    chain = (GRID, unjoined(LEADER), unjoined(SECRETARY), STREET, unjoined(DISTRICT))
    reach = rung_reach(chain, "district_supervisor", GRID, duty_chat_id=-100)
    assert (reach.officers, reach.duty_chat_id) == ((), -100)


def test_without_a_duty_chat_the_nearest_joined_post_below_the_rung_still_hears():
    chain = (GRID, unjoined(LEADER), unjoined(SECRETARY), STREET, unjoined(DISTRICT))
    assert [o.id for o in rung_reach(chain, "district_supervisor", GRID).officers] == ["O4"]


def test_a_rung_never_reaches_the_assignee_nor_anyone_below_it():
    chain = (GRID, LEADER, unjoined(SECRETARY), STREET, unjoined(DISTRICT))
    assert rung_reach(chain, "district_supervisor", STREET).nobody
    assert [o.id for o in rung_reach(chain, "community_secretary", LEADER).officers] == ["O4"]


def test_nobody_joined_above_and_no_duty_chat_reaches_nobody():
    chain = (GRID, unjoined(LEADER), unjoined(SECRETARY), unjoined(STREET), unjoined(DISTRICT))
    assert rung_reach(chain, "grid_leader", GRID).nobody
