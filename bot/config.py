"""Configuration: config.yaml → frozen pydantic models, checked once at start.

Every bad value is reported with its dotted key, all at once, so an operator fixes the file in one
pass. Durations and clock times are parsed here, once: the rest of the code gets typed values.
"""
from __future__ import annotations

import os
import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.deadlines import WEEKDAYS, Amount, build_policy, parse_amount, parse_clock, parse_dates, parse_range
from bot.understanding import CATEGORIES

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config.yaml"
ENV_OVERRIDES = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "GRIDSEC_BOT_API_URL": ("telegram", "base_url"),
    "GRIDSEC_DATABASE_URL": ("database", "url"),
    "GRIDSEC_NLU_URL": ("nlu", "url"),
}
LADDER_ROLES = ("grid_leader", "community_secretary", "street_supervisor", "district_supervisor")


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------- value types
def _typed(parse, kind: type):
    """A before-validator running `parse` on text from the file, passing a value already of `kind`
    through (a section rebuilt by `Section.copy_with` holds parsed values)."""
    return BeforeValidator(lambda value: value if isinstance(value, kind) else parse(value))


def _positive(amount: Amount) -> Amount:
    if amount.days <= 0 and amount.rest <= timedelta(0):
        raise ValueError("must be longer than 0")
    return amount


def _http_url(url: str) -> str:
    if not re.match(r"https?://", url):
        raise ValueError(f"expected an http(s) URL, got {url!r}")
    return url


def _database_url(url: str) -> str:
    if not re.match(r"(sqlite\+aiosqlite|postgresql\+asyncpg)://", url):
        raise ValueError(f"use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB, got {url!r}")
    return url


def _optional(parse, hint: str):
    """`parse`, where an empty value means "none" (no quiet hours, a digest not sent)."""
    def parse_or_none(text: Any) -> Any:
        if text in ("", None):
            return None
        try:
            return parse(text)
        except ValueError as exc:
            raise ValueError(f"{exc} ({hint})") from None
    return parse_or_none


def _working_range(text: Any) -> tuple[time, time]:
    start, end = parse_range(text)
    if end < start:
        raise ValueError(f"{text!r}: working hours cannot cross midnight")
    return start, end


def _dates(items: Any) -> frozenset[date]:
    """Every bad date of the list, one line each."""
    if not isinstance(items, list):
        raise ValueError("expected a list")
    problems = []
    for item in items:
        try:
            parse_dates([item])
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("\n".join(problems))
    return parse_dates(items)


# A limit's or a rung's duration: days stay days, because in working hours a day is a working day.
WorkAmount = Annotated[Amount, _typed(parse_amount, Amount)]
LimitAmount = Annotated[Amount, _typed(parse_amount, Amount), AfterValidator(_positive)]
# A duration in calendar time.
Span = Annotated[timedelta, _typed(lambda text: parse_amount(text).calendar, timedelta)]
ClockTime = Annotated[time | None, _typed(_optional(parse_clock, "or empty to send none"), time)]
Dates = Annotated[frozenset[date], _typed(_dates, frozenset)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
CategoryId = Literal[tuple(c.value for c in CATEGORIES)]  # type: ignore[valid-type]  # plain text, as in the file
Weekday = Literal[WEEKDAYS]  # type: ignore[valid-type]
LadderRole = Literal[LADDER_ROLES]  # type: ignore[valid-type]


class Section(BaseModel):
    """A part of the configuration: immutable, no unknown keys, numbers and text not mixed up
    (strict: 5 is not "5", true is not 1); an empty section in the file means its defaults.
    Defaults are validated too, so a cross-field check also sees a key the file leaves out."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_defaults(cls, data: Any) -> Any:
        return {} if data is None else data

    def copy_with(self, **changes: Any) -> Self:
        """This section with `changes`, validated like the file (pydantic's model_copy checks nothing)."""
        try:
            return self.model_validate({**dict(self), **changes})
        except ValidationError as exc:
            raise ConfigError(_problems(exc)) from None


def _entry_problem(key: str, value: Any, message: str) -> InitErrorDetails:
    """A problem of one key inside the value a validator checks, so that it is named by its own dotted key."""
    return InitErrorDetails(type=PydanticCustomError("config", message), loc=(key,), input=value)


def _invalid(model: type, problems: list) -> ValidationError:
    return ValidationError.from_exception_data(model.__name__, problems)


# Lists in the file become tuples; strict mode alone would refuse a list for a tuple.
def list_field(default: tuple = ()) -> Any:
    return Field(default, strict=False)


# ---------------------------------------------------------------- the sections
class WebhookConfig(Section):
    listen: str = "127.0.0.1"
    port: int = Field(8443, ge=1, le=65535)
    url_path: str = "telegram"
    url: str = ""
    secret_token: str = Field("", pattern=r"^([A-Za-z0-9_-]{1,256})?$")  # what Telegram accepts


class TelegramConfig(Section):
    token: str = ""
    base_url: HttpUrl = "https://api.telegram.org/bot"
    file_base_url: HttpUrl = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    ops_chat_id: int = 0  # a chat told in one line whenever handling an update fails; 0: nobody
    webhook: WebhookConfig = WebhookConfig()

    @field_validator("webhook")
    @classmethod
    def _public_url_for_webhooks(cls, webhook: WebhookConfig, info: ValidationInfo) -> WebhookConfig:
        if info.data.get("mode") == "webhook" and not webhook.url.startswith("https://"):
            raise _invalid(cls, [_entry_problem("url", webhook.url, "webhook mode needs a public https:// URL")])
        return webhook


class DatabaseConfig(Section):
    url: Annotated[str, AfterValidator(_database_url)] = "sqlite+aiosqlite:///var/gridsec.db"


class StorageConfig(Section):
    photo_dir: str = "var/photos"


class NluConfig(Section):
    backend: Literal["keyword", "rasa"] = "rasa"
    url: HttpUrl = "http://127.0.0.1:5005"
    servers: int = Field(1, ge=1, le=16)  # Rasa servers at url's port and the ports after it
    timeout_seconds: float = Field(3.0, gt=0)
    # The department router's labels (a city's historical work-order classes) → a word of the
    # district department's name, e.g. 城乡建设 → 住房和城乡建设.
    departments: dict[str, str] = {}


class IntakeConfig(Section):
    draft_window_minutes: int = Field(30, gt=0)
    max_photos: int = Field(10, gt=0, le=10)  # a Telegram album holds at most 10 photos
    max_text_chars: int = Field(2000, gt=0, le=4000)  # a case card must fit in one message
    followup_minutes: int = Field(30, gt=0)
    # While a case is open: an intent less sure than this is asked about with buttons, and a report
    # of another category at least this sure is a new problem (bot/conversation.py).
    ask_below: float = Field(0.6, ge=0, le=1)
    new_problem_above: float = Field(0.6, ge=0, le=1)


class CasesConfig(Section):
    on_unsatisfied: Literal["reopen", "close", "supervisor"] = "reopen"
    ask_rating_after: Span = timedelta(hours=1)
    close_after: Span = timedelta(days=3)


class PrivacyConfig(Section):
    # Who sees phone and ID-card numbers whole, in report text and the reporter's own number; everyone
    # else (staff, by default) sees them masked. Roles: reporter, assignee, supervisor.
    show_whole_to: tuple[Literal["reporter", "assignee", "supervisor"], ...] = list_field(("reporter",))
    # Stored inbound updates (their full payloads, group chatter included) are emptied this many days
    # after they were handled; the row and its status stay, so a redelivery is still recognised.
    retention_days: int = Field(30, gt=0)


class OutboxConfig(Section):
    max_attempts: int = Field(8, gt=0)
    backoff_base_seconds: float = Field(1.0, gt=0)
    backoff_max_seconds: float = Field(300.0, gt=0)
    global_per_second: float = Field(30.0, gt=0)
    per_chat_per_second: float = Field(1.0, gt=0)
    per_chat_burst: int = Field(3, gt=0)
    margin_seconds: float = 0.1

    @field_validator("margin_seconds")
    @classmethod
    def _margin_leaves_a_burst(cls, margin: float, info: ValidationInfo) -> float:
        rate, burst = info.data.get("per_chat_per_second"), info.data.get("per_chat_burst")
        if margin < 0 or (rate is not None and burst is not None and margin * rate >= burst - 1):
            raise ValueError(f"from 0 to less than (per_chat_burst - 1) / per_chat_per_second, got {margin}")
        return margin

    # How long a send waits for Telegram's answer at first; after an answer that did not come in
    # time, later sends wait longer (twice the slowest answer seen, at most the max).
    send_timeout_seconds: float = Field(10.0, gt=0)
    send_timeout_max_seconds: float = Field(60.0, gt=0)
    # Chats sent to at the same time (each chat gets one message at a time, in order).
    concurrent_chats: int = Field(8, gt=0)


class LimitsConfig(Section):
    """Per-person limits, so that one person's flood or guessing costs others nothing."""

    messages_per_minute: int = Field(20, gt=0)
    join_attempts_per_hour: int = Field(5, gt=0)


class InvitesConfig(Section):
    valid_hours: float = Field(72.0, gt=0)


class WebConfig(Section):
    """The command centre (web/): where it listens, where its links point, how long logins last."""

    enabled: bool = False  # gridsec run serves it beside the bot, in the same process
    listen: str = "127.0.0.1"
    port: int = Field(8080, gt=0, lt=65536)
    public_url: str = ""  # the address links open (https for the Mini App); empty: http://listen:port
    link_minutes: float = Field(10.0, gt=0)
    session_hours: float = Field(12.0, gt=0)
    init_data_max_age: Span = timedelta(hours=1)  # how old a Mini App's signed initData may be

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.listen}:{self.port}").rstrip("/")

    @property
    def mini_app_url(self) -> str | None:
        """The Mini App the bot's menu button opens for staff; Telegram opens Mini Apps over https only."""
        return f"{self.base_url}/app" if self.public_url.startswith("https://") else None


class Open311Config(Section):
    """The Open311 GeoReport v2 API for channels other than chat (web/open311.py)."""

    # true: GET requests without an api_key answers every case (personal fields never shown); off by
    # default, since residents' cases are not public. A key always reads its own channel's requests.
    public_reads: bool = False
    page_size: int = Field(50, gt=0)      # requests per page unless page_size says otherwise
    max_page_size: int = Field(500, gt=0)
    max_days: int = Field(90, gt=0)       # the longest start_date..end_date span (and the default span)
    # Callbacks: each public status change POSTed to the request's callback URL, with retries.
    callback_timeout_seconds: float = Field(10.0, gt=0)
    callback_attempts: int = Field(8, gt=0)
    callback_backoff_seconds: float = Field(5.0, gt=0)
    callback_backoff_max_seconds: float = Field(3600.0, gt=0)


class DistrictConfig(Section):
    dir: str = ""


class CategoryConfig(Section):
    name: str = Field(min_length=1)
    department: str | None = None


class EmergencyLine(Section):
    name: str = Field(min_length=1)
    number: str = Field(pattern=r"^[0-9][0-9-]{2,15}$")


class EmergencyConfig(Section):
    """Whom the reporter of an urgent case should call while the grid office comes."""

    default: tuple[EmergencyLine, ...] = list_field((EmergencyLine(name="报警", number="110"),
                                                      EmergencyLine(name="急救", number="120")))
    categories: dict[CategoryId, Annotated[tuple[EmergencyLine, ...], Field(strict=False)]] = {}

    def lines_for(self, category: str) -> tuple[EmergencyLine, ...]:
        return self.categories.get(category) or self.default


# ---- deadlines and escalation (see bot/deadlines.py)
class RungConfig(Section):
    to: LadderRole
    after: WorkAmount = Amount(0, timedelta())


def _rungs(*rungs: tuple[str, str]) -> tuple[RungConfig, ...]:
    return tuple(RungConfig(to=to, after=after) for to, after in rungs)


class EscalationConfig(Section):
    accept: tuple[RungConfig, ...] = list_field(_rungs(("grid_leader", "0m")))
    resolve: tuple[RungConfig, ...] = list_field(_rungs(("community_secretary", "0m"), ("street_supervisor", "4h"),
                                                    ("district_supervisor", "1d")))


class LimitConfig(Section):
    """A time limit; in `deadlines.categories` a missing field is taken from `deadlines.default`."""

    accept: LimitAmount | None = None
    resolve: LimitAmount | None = None
    hours: Literal["working", "calendar"] | None = None
    escalation: EscalationConfig | None = None  # None: deadlines.escalation


class DefaultLimit(LimitConfig):
    """`deadlines.default`: what a field left out of it means."""

    accept: LimitAmount = parse_amount("1h")
    resolve: LimitAmount = parse_amount("1d")
    hours: Literal["working", "calendar"] = "working"


class UrgentLimit(LimitConfig):
    """`deadlines.urgent`: fast, in calendar time, with its own ladder."""

    accept: LimitAmount = parse_amount("15m")
    resolve: LimitAmount = parse_amount("2h")
    hours: Literal["working", "calendar"] = "calendar"
    escalation: EscalationConfig | None = EscalationConfig(
        accept=_rungs(("grid_leader", "0m"), ("street_supervisor", "15m")),
        resolve=_rungs(("community_secretary", "0m"), ("street_supervisor", "30m"), ("district_supervisor", "1h")))


class DeadlinesConfig(Section):
    working_days: tuple[Weekday, ...] = list_field(("mon", "tue", "wed", "thu", "fri"))
    working_hours: tuple[Annotated[tuple[time, time], _typed(_working_range, tuple)], ...] = list_field(
        (parse_range("08:30-12:00"), parse_range("14:00-17:30")))
    holidays: Dates = frozenset()
    extra_working_days: Dates = frozenset()
    quiet_hours: Annotated[tuple[time, time] | None, _typed(_optional(parse_range, "or empty for none"), tuple)] = \
        parse_range("22:00-07:30")
    reminders: tuple[float, ...] = list_field((0.5, 0.8))
    default: DefaultLimit = DefaultLimit()
    urgent: UrgentLimit = UrgentLimit()
    urgent_categories: tuple[CategoryId, ...] = list_field(("gas_emergency", "fire_hazard"))
    categories: dict[CategoryId, LimitConfig] = {}
    escalation: EscalationConfig = EscalationConfig()
    # A chat (the district's duty office) that gets an escalation no joined post above the case can take; 0: none.
    duty_chat_id: int = 0

    @field_validator("working_days", "working_hours")
    @classmethod
    def _some_working_time(cls, items: tuple) -> tuple:
        if not items:
            raise ValueError("working_days and working_hours may not be empty")
        return items

    @field_validator("reminders")
    @classmethod
    def _increasing_fractions(cls, fractions: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f < 1 for f in fractions) or list(fractions) != sorted(set(fractions)):
            raise ValueError(f"increasing fractions between 0 and 1, e.g. [0.5, 0.8]; got {list(fractions)!r}")
        return fractions

    @field_validator("categories", mode="wrap")
    @classmethod
    def _own_hours_give_both_limits(cls, raw: Any, validate, info: ValidationInfo) -> dict[str, LimitConfig]:
        """Checked on the entries as written, so that a bad entry elsewhere does not hide this one."""
        hours = info.data.get("default", DefaultLimit()).hours
        odd = []
        for name, entry in raw.items() if isinstance(raw, dict) else ():
            given = dict(entry) if isinstance(entry, LimitConfig) else entry if isinstance(entry, dict) else {}
            if given.get("hours") in ("working", "calendar") and given["hours"] != hours \
                    and not (given.get("accept") and given.get("resolve")):
                odd.append(_entry_problem(name, entry, "with hours different from deadlines.default, "
                                                       "give accept and resolve"))
        try:
            categories = validate(raw)
        except ValidationError as exc:
            raise _invalid(cls, [*exc.errors(), *odd]) from None
        if odd:
            raise _invalid(cls, odd)
        return categories


class DigestsConfig(Section):
    officer_morning: ClockTime = time(8, 0)  # None: not sent
    supervisor_daily: ClockTime = time(18, 0)
    catch_up: Span = timedelta(hours=2)


class SchedulerConfig(Section):
    enabled: bool = True
    sweep_seconds: float = Field(30.0, gt=0)
    lease_seconds: float = Field(120.0, gt=0)
    batch: int = Field(10, gt=0)
    batch_pause_seconds: float = Field(0.1, ge=0)

    @field_validator("lease_seconds")
    @classmethod
    def _lease_outlasts_two_sweeps(cls, lease: float, info: ValidationInfo) -> float:
        sweep = info.data.get("sweep_seconds")
        if sweep is not None and lease < 2 * sweep:
            raise ValueError("at least twice scheduler.sweep_seconds, or the lease lapses between sweeps")
        return lease


# ---- casework (bot/duplicates.py, bot/hotspots.py, 核查结案 in bot/cases.py)
class DuplicatesConfig(Section):
    """A new report matches an open case of the same category this near, this recent, this alike."""

    radius_m: float = Field(250.0, gt=0)
    window: Span = timedelta(days=7)
    min_similarity: float = Field(0.1, ge=0, le=1)  # character-bigram Dice of the two descriptions


class HotSpotsConfig(Section):
    """预警: a grid with more cases of one category in `window` than max(min_cases - 1, factor × its
    average per window over the `baseline` before) allows."""

    enabled: bool = True
    window: Span = timedelta(hours=24)
    baseline: Span = timedelta(days=28)
    min_cases: int = Field(3, gt=0)
    factor: float = Field(2.0, gt=0)
    check_every: Span = timedelta(minutes=5)  # how often the scheduler looks (a look counts a baseline)

    @field_validator("baseline")
    @classmethod
    def _baseline_spans_windows(cls, baseline: timedelta, info: ValidationInfo) -> timedelta:
        window = info.data.get("window")
        if window is not None and baseline < window:
            raise ValueError("at least casework.hotspots.window")
        return baseline


class CaseworkConfig(Section):
    duplicates: DuplicatesConfig = DuplicatesConfig()
    # 核查结案: a department's 办结 of these categories is checked on site by the grid officer first.
    verify_categories: tuple[CategoryId, ...] = list_field(())
    hotspots: HotSpotsConfig = HotSpotsConfig()


class Config(Section):
    timezone: str = "Asia/Shanghai"
    ticket_prefix: str = Field("YX", pattern=r"^[A-Z]{1,6}$")
    telegram: TelegramConfig = TelegramConfig()
    database: DatabaseConfig = DatabaseConfig()
    storage: StorageConfig = StorageConfig()
    nlu: NluConfig = NluConfig()
    intake: IntakeConfig = IntakeConfig()
    cases: CasesConfig = CasesConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    outbox: OutboxConfig = OutboxConfig()
    limits: LimitsConfig = LimitsConfig()
    invites: InvitesConfig = InvitesConfig()
    district: DistrictConfig = DistrictConfig()
    # Left out or empty: every category, named by its id.
    categories: dict[CategoryId, CategoryConfig] = {}
    deadlines: DeadlinesConfig = DeadlinesConfig()
    digests: DigestsConfig = DigestsConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    emergency: EmergencyConfig = EmergencyConfig()
    web: WebConfig = WebConfig()
    open311: Open311Config = Open311Config()
    casework: CaseworkConfig = CaseworkConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from None
        return name

    @field_validator("categories")
    @classmethod
    def _every_category_named(cls, categories: dict[str, CategoryConfig]) -> dict[str, CategoryConfig]:
        if not categories:
            return {c: CategoryConfig(name=c) for c in CATEGORIES}
        missing = [c for c in CATEGORIES if c not in categories]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return categories

    @model_validator(mode="after")
    def _deadlines_make_a_policy(self) -> "Config":
        try:
            build_policy(self)
        except ValueError as exc:
            raise ValueError(f"deadlines: {exc}") from None
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def category_name(self, category: str) -> str:
        entry = self.categories.get(category)
        return entry.name if entry else category

    def resolve_path(self, value: str) -> Path:
        """Relative paths in the config are relative to the project root, not the caller's cwd."""
        path = Path(value)
        return path if path.is_absolute() else REPO_ROOT / path

    def with_database(self, url: str | None) -> "Config":
        return self if not url else self.copy_with(database=DatabaseConfig(url=url))


# ---------------------------------------------------------------- reading the file
_MESSAGES = {"extra_forbidden": "unknown key", "string_pattern_mismatch": "{msg}, got {input!r}"}


def _problems(error: ValidationError) -> list[str]:
    """One readable line per problem, named by its dotted key (`deadlines.escalation.resolve[1].to`)."""
    lines = []
    for problem in error.errors(include_url=False):
        key = ""
        for part in problem["loc"]:
            if part == "[key]":
                continue
            key += f"[{part}]" if isinstance(part, int) else f".{part}" if key else str(part)
        if problem["type"] == "value_error":
            text = str(problem["ctx"]["error"])
        elif problem["type"] in ("model_type", "dict_type"):
            text = f"expected a mapping, got {type(problem['input']).__name__}"
        else:
            text = _MESSAGES.get(problem["type"], "{msg}").format(msg=problem["msg"], input=problem["input"])
        lines += [f"{key}: {line}" if key else line for line in text.split("\n")]
    return lines


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read `path` (or $GRIDSEC_CONFIG, or ./config.yaml), apply environment overrides, validate."""
    env = dict(os.environ) if env is None else env
    path = Path(path or env.get("GRIDSEC_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level"])
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            raw.setdefault(section, {})
            if isinstance(raw[section], dict):
                raw[section][key] = env[var]
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([f"{path}: {p}" for p in _problems(exc)]) from None
