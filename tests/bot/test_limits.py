"""Per-person limits on the movable clock: a sliding window, told once, silent until it passes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.clock import ManualClock
from bot.config import LimitsConfig
from bot.limits import Limits, Verdict, Window

START = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)


def test_a_window_admits_its_allowance_then_refuses_until_the_oldest_leaves():
    clock, window = ManualClock(START), Window(3, timedelta(minutes=1))
    assert [window.admit(7, clock.now()) for _ in range(4)] == [True, True, True, False]
    assert window.admit(8, clock.now())  # somebody else is not affected
    clock.advance(timedelta(seconds=59))
    assert not window.admit(7, clock.now())
    clock.advance(timedelta(seconds=1))
    assert [window.admit(7, clock.now()) for _ in range(4)] == [True, True, True, False]


def test_refused_messages_do_not_extend_the_spell():
    clock, limits = ManualClock(START), Limits(LimitsConfig(messages_per_minute=2))
    limits.message(1, clock.now()), limits.message(1, clock.now())
    for _ in range(100):  # a flood within the minute
        clock.advance(timedelta(milliseconds=500))
        limits.message(1, clock.now())
    clock.advance(timedelta(seconds=10))  # a minute after the first two
    assert limits.message(1, clock.now()).admitted


def test_the_person_is_told_once_per_spell():
    clock, limits = ManualClock(START), Limits(LimitsConfig(messages_per_minute=2))
    verdicts = [limits.message(1, clock.now()) for _ in range(5)]
    assert verdicts == [Verdict(True), Verdict(True), Verdict(False, tell=True), Verdict(False), Verdict(False)]
    clock.advance(timedelta(minutes=1))
    assert limits.message(1, clock.now()) == Verdict(True)
    limits.message(1, clock.now())
    assert limits.message(1, clock.now()) == Verdict(False, tell=True)  # a new spell is told again


def test_quiet_people_are_forgotten():
    clock, window = ManualClock(START), Window(1, timedelta(minutes=1))
    for person in range(10_001):
        window.admit(person, clock.now())
    clock.advance(timedelta(minutes=2))
    window.admit(-1, clock.now())
    assert len(window._events) == 1


def test_the_photos_of_one_album_count_once():
    clock, limits = ManualClock(START), Limits(LimitsConfig(messages_per_minute=2))
    assert all(limits.message(1, clock.now(), album="a1").admitted for _ in range(10))
    assert limits.message(1, clock.now()).admitted  # the text after the album
    assert not limits.message(1, clock.now(), album="a2").admitted  # another album is another message
