"""What supervisors type for 延期, read as they would mean it (bot/timetext.py). Now: Tuesday 2026-11-24 10:00."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.timetext import parse_extension

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(timezone.utc)


def parse(text: str):
    return parse_extension(text, NOW, TZ, day_end=time(17, 30))


@pytest.mark.parametrize("text, days, rest, reason", [
    ("2天 需协调物业", 2, timedelta(), "需协调物业"),
    ("4小时协调物业", 0, timedelta(hours=4), "协调物业"),
    ("+1h30m 等车", 0, timedelta(hours=1, minutes=30), "等车"),
    ("2d", 2, timedelta(), ""),
    ("延期两天，需要协调物业", 2, timedelta(), "需要协调物业"),
    ("延长3天 等配件", 3, timedelta(), "等配件"),
    ("三个小时 设备维修", 0, timedelta(hours=3), "设备维修"),
    ("一个半小时，等吊车", 0, timedelta(hours=1, minutes=30), "等吊车"),
    ("1天半 业主不在家", 1.5, timedelta(), "业主不在家"),
    ("半天 等人", 0.5, timedelta(), "等人"),
    ("再给两天时间，物业没回复", 2, timedelta(), "物业没回复"),
    ("宽限3小时20分钟 理由：路面未干", 0, timedelta(hours=3, minutes=20), "路面未干"),
    ("二十分钟", 0, timedelta(minutes=20), ""),
])
def test_amounts(text, days, rest, reason):
    ext = parse(text)
    assert ext is not None and ext.until is None
    assert ext.by == (days, rest) and ext.reason == reason


@pytest.mark.parametrize("text, until, reason", [
    ("11-27 17:00 等待配件到货", "2026-11-27 17:00", "等待配件到货"),
    ("2026-12-01 9:30，材料不全", "2026-12-01 09:30", "材料不全"),
    ("11月28日 18点 周末施工", "2026-11-28 18:00", "周末施工"),
    ("延期至11月30日 需协调", "2026-11-30 17:30", "需协调"),              # a bare day: end of the working day
    ("明天下午5点前 等施工队", "2026-11-25 17:00", "等施工队"),
    ("后天上午9点半 等审批", "2026-11-26 09:30", "等审批"),
    ("到周五 等配件", "2026-11-27 17:30", "等配件"),
    ("下周一 等区里批复", "2026-11-30 17:30", "等区里批复"),
    ("十二月三日 晚上8点 夜间施工", "2026-12-03 20:00", "夜间施工"),
    ("01-05 10:00 元旦后处理", "2027-01-05 10:00", "元旦后处理"),     # typed in November: next January
    ("明天吧", "2026-11-25 17:30", ""),                                 # a day; the reason is asked for
])
def test_moments(text, until, reason):
    ext = parse(text)
    assert ext is not None and ext.by is None
    assert ext.until == at(until) and ext.reason == reason


def test_a_moment_already_past_is_returned_for_the_caller_to_refuse():
    assert parse("今天上午9点 已处理").until == at("2026-11-24 09:00")


@pytest.mark.parametrize("text", ["", "过两天", "13-45 10:00 原因", "尽快", "等物业回复", "2号楼"])
def test_not_understood(text):
    assert parse(text) is None
