"""Deadline arithmetic on its own: working hours, holidays and make-up days, quiet hours, reminder
points, the escalation ladder, catch-up after downtime and the config checks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.config import ConfigError, load_config
from bot.deadlines import QuietHours, build_policy, parse_amount

TZ = ZoneInfo("Asia/Shanghai")
POLICY_YAML = """
deadlines:
  working_days: [mon, tue, wed, thu, fri]
  working_hours: ["08:30-12:00", "14:00-17:30"]
  holidays: ["2026-10-01..2026-10-07"]
  extra_working_days: ["2026-10-10"]
  quiet_hours: "22:00-07:30"
  reminders: [0.5, 0.8]
  default: {accept: 1h, resolve: 1d, hours: working}
  urgent:
    accept: 15m
    resolve: 2h
    hours: calendar
    escalation:
      accept: [{to: grid_leader, after: 0m}, {to: street_supervisor, after: 15m}]
      resolve: [{to: community_secretary, after: 0m}]
  urgent_categories: [gas_emergency]
  categories:
    garbage: {accept: 30m, resolve: 4h}
    noise: {accept: 2h, resolve: 8h, hours: calendar}
  escalation:
    accept: [{to: grid_leader, after: 0m}]
    resolve: [{to: community_secretary, after: 0m}, {to: street_supervisor, after: 4h},
              {to: district_supervisor, after: 1d}]
cases: {ask_rating_after: 1h, close_after: 3d}
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def write_config(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env={})


@pytest.fixture
def policy(tmp_path):
    return build_policy(write_config(tmp_path, POLICY_YAML))


@dataclass
class FakeCase:
    status: str = "assigned"
    category: str = "garbage"
    urgent: bool = False
    due_from: datetime | None = None
    accept_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    deadline_round_at: datetime | None = None
    resolved_at: datetime | None = None


def dispatched(policy, when: datetime, **kw) -> FakeCase:
    case = FakeCase(**kw)
    case.due_from = case.deadline_round_at = when
    case.accept_due_at, case.resolve_due_at = policy.start(case, when)
    return case


# ---------------------------------------------------------------- working time
@pytest.mark.parametrize("start, amount, expected", [
    ("2026-11-24 10:00", "4h", "2026-11-24 16:00"),   # Tuesday: the lunch break does not count
    ("2026-11-24 17:00", "1h", "2026-11-25 09:00"),   # runs over the evening
    ("2026-11-27 17:00", "1h", "2026-11-30 09:00"),   # Friday → Monday
    ("2026-11-24 12:30", "30m", "2026-11-24 14:30"),  # starts in the lunch break
    ("2026-11-24 07:00", "30m", "2026-11-24 09:00"),  # starts before the day
    ("2026-11-24 10:00", "1d", "2026-11-25 10:00"),   # a working day is 7 working hours
    ("2026-09-30 17:00", "1h", "2026-10-08 09:00"),   # the National Day holiday
    ("2026-10-09 17:00", "1h", "2026-10-10 09:00"),   # a make-up Saturday is a working day
    ("2026-11-24 12:00", "0m", "2026-11-24 12:00"),
    ("2026-11-24 11:30", "30m", "2026-11-24 12:00"),  # ends exactly at the end of a stretch
])
def test_working_hours_arithmetic(policy, start, amount, expected):
    hours = policy.default.hours
    days, rest = parse_amount(amount)
    assert hours.add(at(start), hours.day * days + rest) == at(expected)


def test_working_time_between_is_the_inverse_of_add(policy):
    hours = policy.default.hours
    assert hours.between(at("2026-11-24 10:00"), at("2026-11-25 10:00")) == timedelta(hours=7)
    assert hours.between(at("2026-11-24 18:00"), at("2026-11-24 23:00")) == timedelta(0)
    start = at("2026-11-20 06:10")
    for minutes in range(0, 60 * 40, 37):
        for offset in range(0, 60 * 24 * 3, 211):
            begin = start + timedelta(minutes=offset)
            amount = timedelta(minutes=minutes)
            assert hours.between(begin, hours.add(begin, amount)) == amount


def test_calendar_hours_count_every_hour(policy):
    noise = policy.categories["noise"]
    assert noise.hours.add(at("2026-11-24 21:00"), noise.accept) == at("2026-11-24 23:00")
    assert noise.hours.day == timedelta(days=1)


def test_quiet_hours_cross_midnight():
    quiet = QuietHours(TZ, *[datetime.strptime(x, "%H:%M").time() for x in ("22:00", "07:30")])
    assert not quiet.holds(at("2026-11-24 21:59"))
    assert quiet.holds(at("2026-11-24 22:00")) and quiet.holds(at("2026-11-25 03:00"))
    assert quiet.release(at("2026-11-24 23:00")) == at("2026-11-25 07:30")
    assert quiet.release(at("2026-11-25 06:00")) == at("2026-11-25 07:30")
    assert quiet.release(at("2026-11-25 07:30")) == at("2026-11-25 07:30")


# ---------------------------------------------------------------- limits, points, ladder
def test_a_category_limit_gives_reminders_and_the_ladder(policy):
    case = dispatched(policy, at("2026-11-24 10:00"))
    assert (case.accept_due_at, case.resolve_due_at) == (at("2026-11-24 10:30"), at("2026-11-24 16:00"))
    points = {p.step: p.at for p in policy.plan(case)}
    assert points == {
        "accept.remind.0": at("2026-11-24 10:15"), "accept.remind.1": at("2026-11-24 10:24"),
        "accept.escalate.0": at("2026-11-24 10:30"),
        "resolve.escalate.0": at("2026-11-24 16:00"),
        "resolve.escalate.1": at("2026-11-25 11:00"),   # 4 working hours after 16:00 Tuesday
        "resolve.escalate.2": at("2026-11-25 16:00"),   # one working day after
    }
    case.status = "accepted"
    points = {p.step: p.at for p in policy.plan(case)}
    assert points["resolve.remind.0"] == at("2026-11-24 12:00")  # half of 4 working hours
    assert points["resolve.remind.1"] == at("2026-11-24 15:12")
    assert not any(step.startswith("accept") for step in points)
    assert policy.plan(FakeCase(status="closed")) == []


def test_urgent_cases_are_fast_calendar_time_and_ignore_quiet_hours(policy):
    case = dispatched(policy, at("2026-11-24 23:00"), category="other", urgent=True)
    assert policy.is_urgent(case) and case.accept_due_at == at("2026-11-24 23:15")
    assert policy.is_urgent(FakeCase(category="gas_emergency"))
    decision = policy.decide(case, set(), at("2026-11-24 23:16"))
    assert [p.step for p in decision.perform] == ["accept.escalate.0"] and decision.held_until is None
    assert {p.step for p in decision.skip} == {"accept.remind.0", "accept.remind.1"}
    assert policy.next_check(case, {"accept.escalate.0", "accept.remind.0", "accept.remind.1"},
                             at("2026-11-24 23:16")) == at("2026-11-24 23:30")


def test_quiet_hours_hold_non_urgent_points_until_morning(policy):
    case = dispatched(policy, at("2026-11-24 21:00"), category="noise")
    assert case.accept_due_at == at("2026-11-24 23:00")
    decision = policy.decide(case, set(), at("2026-11-24 22:30"))
    assert decision.perform == () and decision.held_until == at("2026-11-25 07:30")
    # the reminders (22:00, 22:36) and the escalation (23:00) all fall in the quiet hours
    assert policy.next_check(case, set(), at("2026-11-24 21:30")) == at("2026-11-25 07:30")
    morning = policy.decide(case, set(), at("2026-11-25 07:30"))  # the 8 h limit also ran out, at 05:00
    assert [p.step for p in morning.perform] == ["accept.escalate.0", "resolve.escalate.0"]
    assert {p.step for p in morning.skip} == {"accept.remind.0", "accept.remind.1"}


def test_next_check_moves_a_point_in_quiet_hours_to_their_end(policy):
    case = dispatched(policy, at("2026-11-24 20:30"), category="noise")  # 50 % at 21:30, 80 % at 22:06
    assert policy.next_check(case, set(), at("2026-11-24 20:30")) == at("2026-11-24 21:30")
    assert policy.next_check(case, {"accept.remind.0"}, at("2026-11-24 21:30")) == at("2026-11-25 07:30")


def test_after_downtime_only_the_latest_reminder_is_sent(policy):
    case = dispatched(policy, at("2026-11-24 10:00"))
    decision = policy.decide(case, set(), at("2026-11-24 10:27"))
    assert [p.step for p in decision.perform] == ["accept.remind.1"]
    assert [p.step for p in decision.skip] == ["accept.remind.0"]
    # every rung that fell due is done: each reaches different people
    decision = policy.decide(case, set(), at("2026-11-26 09:00"))
    assert [p.step for p in decision.perform] == [
        "accept.escalate.0", "resolve.escalate.0", "resolve.escalate.1", "resolve.escalate.2"]


def test_a_new_round_owes_nothing_that_fell_before_it(policy):
    case = dispatched(policy, at("2026-11-24 10:00"), status="accepted")
    case.resolve_due_at = at("2026-11-24 17:30")   # 延期 at 15:00
    case.deadline_round_at = at("2026-11-24 15:00")
    steps = {p.step: p.at for p in policy.plan(case)}
    assert "resolve.remind.0" not in steps  # half of the 5.5 working hours (14:45) is before the round began
    assert steps["resolve.remind.1"] == at("2026-11-24 16:24")
    assert steps["resolve.escalate.0"] == at("2026-11-24 17:30")


def test_extension_moves_the_deadline_in_the_limits_hours(policy):
    case = dispatched(policy, at("2026-11-24 10:00"), status="accepted")
    assert policy.extended(case, at("2026-11-24 11:00"), parse_amount("2h")) == at("2026-11-25 09:00")
    assert policy.extended(case, at("2026-11-24 11:00"), parse_amount("1d")) == at("2026-11-25 16:00")
    # an overdue case is extended from now, not from the deadline that has passed
    assert policy.extended(case, at("2026-11-25 10:00"), parse_amount("1h")) == at("2026-11-25 11:00")


def test_rating_request_and_auto_close(policy):
    case = FakeCase(status="resolved", resolved_at=at("2026-11-24 23:00"), deadline_round_at=at("2026-11-24 23:00"))
    assert {p.step: p.at for p in policy.plan(case)} == {
        "rating.ask": at("2026-11-25 00:00"), "rating.close": at("2026-11-27 23:00")}
    # the request falls in the quiet hours: it waits for the morning
    assert policy.decide(case, set(), at("2026-11-25 00:00")).held_until == at("2026-11-25 07:30")
    late = policy.decide(case, set(), at("2026-11-28 08:00"))
    assert [p.step for p in late.perform] == ["rating.close"] and [p.step for p in late.skip] == ["rating.ask"]


# ---------------------------------------------------------------- the config checks
def test_bad_deadline_settings_are_reported_with_their_keys(tmp_path):
    bad = yaml.safe_load(POLICY_YAML)
    bad["deadlines"]["working_days"] = ["monday"]
    bad["deadlines"]["reminders"] = [0.8, 0.5]
    bad["deadlines"]["default"]["accept"] = "soon"
    bad["deadlines"]["categories"]["garbage"] = {"hours": "calendar", "resolve": "4h"}
    bad["deadlines"]["categories"]["nonsense"] = {"accept": "1h"}
    bad["deadlines"]["escalation"]["resolve"][1]["to"] = "mayor"
    bad["deadlines"]["quiet_hours"] = "late"
    bad["cases"]["close_after"] = "forever"
    bad["digests"] = {"officer_morning": "8am"}
    bad["scheduler"] = {"sweep_seconds": 60, "lease_seconds": 30}
    with pytest.raises(ConfigError) as error:
        write_config(tmp_path, yaml.safe_dump(bad, allow_unicode=True))
    text = str(error.value)
    for key in ("deadlines.working_days", "deadlines.reminders", "deadlines.default.accept",
                "deadlines.categories.garbage", "deadlines.categories.nonsense",
                "deadlines.escalation.resolve[1].to", "deadlines.quiet_hours", "cases.close_after",
                "digests.officer_morning", "scheduler.lease_seconds"):
        assert key in text, key
