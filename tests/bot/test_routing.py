"""Choosing who acts: on-duty first, substitutes for absentees, then up the chain."""
from datetime import datetime, timedelta, timezone

from bot.routing import choose_handler
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
