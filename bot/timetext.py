"""What a supervisor types for 延期: a new deadline or an amount to add, then the reason.

Supervisors write as they speak: '2天 需协调物业', '延期两天，需要协调物业', '三个小时 设备维修',
'1天半 等人', '半天 等业主', '11-27 17:00 等待配件', '延期至11月30日 需协调', '明天下午5点前 等施工队',
'下周一 等审批'. A day without a time of day means the end of that working day (`day_end`). Chinese
numerals are read only where a unit or a date follows, so 周一 stays Monday.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.deadlines import Amount
from bot.places.normalize import chinese_to_int

_UNITS = "个|半|天|日|小时|钟头|钟|分钟|分|点|时|月|号|周|星期|礼拜"
_NUMERAL = re.compile(rf"[零一二三四五六七八九十两]+(?=(?:{_UNITS}))")
_LEAD = re.compile(r"^\s*(?:再|请|申请|需要|需)?\s*(?:延期|延长|顺延|推迟|延后|宽限|放宽|延|给)?\s*"
                   r"(?:至|到|为|截至|截止到|截止)?\s*")
_TRAIL = re.compile(r"^\s*(?:的)?(?:时间|期限|时限)?\s*(?:之前|以前|前)?")
_CLEAN = " ，,。.;；:：、"
_REASON_LEAD = re.compile(r"^(?:(?:理由|原因|因为|因)\s*[:：]?)?\s*")
_PARTICLES = set("吧啊呢吗了呀哈嘛")  # '明天吧' gives a day, not a reason

_DAY = re.compile(r"(?:(\d{4})[-/年.])?(\d{1,2})[-/月](\d{1,2})[日号]?")  # no 1.5 (a day and a half)
_RELATIVE_DAY = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_RELATIVE = re.compile("|".join(sorted(_RELATIVE_DAY, key=len, reverse=True)))
_WEEKDAY = re.compile(r"(下个?|本|这个?)?(?:周|星期|礼拜)([一二三四五六日天])")
_WEEKDAYS = "一二三四五六日"
_CLOCK = re.compile(r"\s*(上午|早上|早晨|中午|下午|傍晚|晚上)?\s*(\d{1,2})(?:[:：](\d{2})|点(?:(\d{1,2})分?|(半))?|时)")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?|半)\s*(?:个)?\s*(半)?\s*(天|日|d|小时|钟头|h|时|分钟|分|m)(半)?(?![a-z])", re.I)
_DAYS = {"天", "日", "d"}
_HOURS = {"小时", "钟头", "h", "时"}


@dataclass(frozen=True)
class Extension:
    until: datetime | None = None                    # a new deadline…
    by: Amount | None = None                         # …or an amount to add (days in the limit's hours)
    reason: str = ""


def parse_extension(text: str, now: datetime, tz: ZoneInfo, day_end: time = time(17, 30)) -> Extension | None:
    """The Extension `text` asks for; None when it names no amount or moment. A moment may be past:
    CaseService.extend refuses it with its own reason rather than "not understood"."""
    text = _arabic(text.replace("+", " "))
    text = text[_LEAD.match(text).end():]
    local_now = now.astimezone(tz)
    found = _moment(text, local_now, day_end)
    if found is not None:
        until, rest = found
        return Extension(until=until.astimezone(timezone.utc), reason=_reason(rest))
    found = _amount(text)
    if found is not None:
        amount, rest = found
        return Extension(by=amount, reason=_reason(rest))
    return None


def _arabic(text: str) -> str:
    """两天 → 2天, 十一月三十日 → 11月30日, 一个半小时 → 1个半小时; 周一 and 一下 stay."""
    def repl(match: re.Match[str]) -> str:
        value = chinese_to_int(match[0].replace("两", "二"))
        return match[0] if value is None else str(value)
    return _NUMERAL.sub(repl, text)


def _reason(rest: str) -> str:
    rest = rest[_TRAIL.match(rest).end():].strip(_CLEAN)
    rest = rest[_REASON_LEAD.match(rest).end():].strip(_CLEAN)
    return "" if set(rest) <= _PARTICLES else rest


def _moment(text: str, now: datetime, day_end: time) -> tuple[datetime, str] | None:
    """A day (date, 今天/明天/后天, 周五/下周一), optionally a time of day, at the start of `text`."""
    day, end = _day(text, now.date())
    if day is None:
        return None
    clock = _CLOCK.match(text, end)
    if clock is None:
        at = day_end
    else:
        part, hour, minute, minute_after_dian, half = clock.groups()
        hour, minute = int(hour), int(minute or minute_after_dian or (30 if half else 0))
        if part in ("下午", "傍晚", "晚上") and hour < 12 or part == "中午" and hour < 6:
            hour += 12
        if hour > 23 or minute > 59:
            return None
        at, end = time(hour, minute), clock.end()
    until = datetime.combine(day, at, tzinfo=now.tzinfo)
    return until, text[end:]


def _day(text: str, today: date) -> tuple[date | None, int]:
    match = _DAY.match(text)
    if match:
        year, month, day = match.groups()
        try:
            found = date(int(year or today.year), int(month), int(day))
        except ValueError:
            return None, 0
        if year is None and found < today - timedelta(days=180):
            found = found.replace(year=found.year + 1)  # "01-05" typed in December means next January
        return found, match.end()
    match = _RELATIVE.match(text)
    if match:
        return today + timedelta(days=_RELATIVE_DAY[match[0]]), match.end()
    match = _WEEKDAY.match(text)
    if match:
        which, name = match.groups()
        weekday = _WEEKDAYS.index("日" if name == "天" else name)
        if which and which.startswith("下"):
            return today + timedelta(days=7 - today.weekday() + weekday), match.end()
        return today + timedelta(days=(weekday - today.weekday()) % 7), match.end()
    return None, 0


def _amount(text: str) -> tuple[Amount, str] | None:
    """Amounts at the start of `text`: 2天, 1天半, 半天, 1个半小时, 1h30m, 3小时20分钟."""
    days, rest, at = 0.0, timedelta(), 0
    while (match := _AMOUNT.match(text, at)) is not None:
        number, half_before, unit, half_after = match.groups()
        value = (0.5 if number == "半" else float(number)) + (0.5 if half_before or half_after else 0)
        unit = unit.lower()
        if unit in _DAYS:
            days += value
        else:
            rest += timedelta(hours=value) if unit in _HOURS else timedelta(minutes=value)
        at = match.end()
        while at < len(text) and text[at] in " 又零":
            at += 1
    if at == 0 or (days == 0 and rest == timedelta()):
        return None
    return Amount(days, rest), text[at:]
