"""Configuration: config.yaml → frozen dataclasses, checked once at start.

Every bad value is reported with its key, all at once, so an operator fixes the file in one pass.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.deadlines import WEEKDAYS, build_policy, parse_amount, parse_clock, parse_dates, parse_range
from bot.understanding import CATEGORIES

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config.yaml"
ENV_OVERRIDES = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "GRIDSEC_BOT_API_URL": ("telegram", "base_url"),
    "GRIDSEC_DATABASE_URL": ("database", "url"),
    "GRIDSEC_NLU_URL": ("nlu", "url"),
}


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class WebhookConfig:
    listen: str = "127.0.0.1"
    port: int = 8443
    url_path: str = "telegram"
    url: str = ""
    secret_token: str = ""


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    mode: str = "polling"
    ops_chat_id: int = 0
    webhook: WebhookConfig = field(default_factory=WebhookConfig)


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite+aiosqlite:///var/gridsec.db"


@dataclass(frozen=True)
class StorageConfig:
    photo_dir: str = "var/photos"


@dataclass(frozen=True)
class NluConfig:
    backend: str = "rasa"
    url: str = "http://127.0.0.1:5005"
    timeout_seconds: float = 3.0
    # The department router's labels (a city's historical work-order classes) → a word of the
    # district department's name, e.g. 城乡建设 → 住房和城乡建设.
    departments: dict = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeConfig:
    draft_window_minutes: int = 30
    max_photos: int = 10
    max_text_chars: int = 2000
    followup_minutes: int = 30


@dataclass(frozen=True)
class CasesConfig:
    on_unsatisfied: str = "reopen"
    ask_rating_after: str = "1h"
    close_after: str = "3d"


@dataclass(frozen=True)
class OutboxConfig:
    max_attempts: int = 8
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    margin_seconds: float = 0.1


@dataclass(frozen=True)
class InvitesConfig:
    valid_hours: float = 72.0


@dataclass(frozen=True)
class DistrictConfig:
    dir: str = ""


@dataclass(frozen=True)
class CategoryConfig:
    name: str
    department: str | None = None


# ---- deadlines and escalation (see bot/deadlines.py)
LADDER_ROLES = ("grid_leader", "community_secretary", "street_supervisor", "district_supervisor")


@dataclass(frozen=True)
class RungConfig:
    to: str
    after: str = "0m"


@dataclass(frozen=True)
class EscalationConfig:
    accept: tuple[RungConfig, ...] = (RungConfig("grid_leader"),)
    resolve: tuple[RungConfig, ...] = (RungConfig("community_secretary"), RungConfig("street_supervisor", "4h"),
                                       RungConfig("district_supervisor", "1d"))


@dataclass(frozen=True)
class LimitConfig:
    """A time limit; in `deadlines.categories` a missing field is taken from `deadlines.default`."""

    accept: str | None = None
    resolve: str | None = None
    hours: str | None = None  # working | calendar
    escalation: EscalationConfig | None = None  # None: deadlines.escalation


@dataclass(frozen=True)
class DeadlinesConfig:
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    working_hours: tuple[str, ...] = ("08:30-12:00", "14:00-17:30")
    holidays: tuple[str, ...] = ()
    extra_working_days: tuple[str, ...] = ()
    quiet_hours: str = "22:00-07:30"
    reminders: tuple[float, ...] = (0.5, 0.8)
    default: LimitConfig = LimitConfig("1h", "1d", "working")
    urgent: LimitConfig = LimitConfig("15m", "2h", "calendar", EscalationConfig(
        accept=(RungConfig("grid_leader"), RungConfig("street_supervisor", "15m")),
        resolve=(RungConfig("community_secretary"), RungConfig("street_supervisor", "30m"),
                 RungConfig("district_supervisor", "1h"))))
    urgent_categories: tuple[str, ...] = ("gas_emergency", "fire_hazard")
    categories: dict[str, LimitConfig] = field(default_factory=dict)
    escalation: EscalationConfig = EscalationConfig()


@dataclass(frozen=True)
class DigestsConfig:
    officer_morning: str = "08:00"
    supervisor_daily: str = "18:00"
    catch_up: str = "2h"


@dataclass(frozen=True)
class SchedulerConfig:
    enabled: bool = True
    sweep_seconds: float = 30.0
    lease_seconds: float = 120.0
    batch: int = 10
    batch_pause_seconds: float = 0.1


@dataclass(frozen=True)
class Config:
    timezone: str = "Asia/Shanghai"
    ticket_prefix: str = "YX"
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    nlu: NluConfig = field(default_factory=NluConfig)
    intake: IntakeConfig = field(default_factory=IntakeConfig)
    cases: CasesConfig = field(default_factory=CasesConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    invites: InvitesConfig = field(default_factory=InvitesConfig)
    district: DistrictConfig = field(default_factory=DistrictConfig)
    categories: dict[str, CategoryConfig] = field(default_factory=dict)
    deadlines: DeadlinesConfig = field(default_factory=DeadlinesConfig)
    digests: DigestsConfig = field(default_factory=DigestsConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)

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
        return self if not url else replace(self, database=DatabaseConfig(url=url))


def _build(cls: type, data: Any, key: str, problems: list[str]) -> Any:
    """Turn a YAML mapping into dataclass `cls`, collecting type problems under dotted `key`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(f"{key or 'top level'}: expected a mapping, got {type(data).__name__}")
        return cls()
    known = {f.name: f for f in fields(cls)}
    for unknown in sorted(set(data) - set(known)):
        problems.append(f"{key + '.' if key else ''}{unknown}: unknown key")
    values = {}
    for name, f in known.items():
        if name not in data:
            continue
        sub = f"{key}.{name}" if key else name
        default = getattr(cls(), name) if name != "categories" else None
        value = data[name]
        if cls is Config and name in _SECTIONS:
            values[name] = _SECTIONS[name](value, problems)
        elif is_dataclass(default):
            values[name] = _build(type(default), value, sub, problems)
        elif name == "categories":
            values[name] = _categories(value, problems)
        elif isinstance(default, bool) or default is None:
            values[name] = value
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{sub}: expected a number, got {value!r}")
                continue
            if isinstance(default, int) and not isinstance(value, int):
                problems.append(f"{sub}: expected a whole number, got {value!r}")
                continue
            values[name] = value
        elif isinstance(default, str):
            if not isinstance(value, str):
                problems.append(f"{sub}: expected text, got {value!r}")
                continue
            values[name] = value
        else:
            values[name] = value
    return cls(**values)


def _categories(data: Any, problems: list[str]) -> dict[str, CategoryConfig]:
    if not isinstance(data, dict):
        problems.append("categories: expected a mapping of category id → {name, department}")
        return {}
    result = {}
    for cat, entry in data.items():
        if cat not in CATEGORIES:
            problems.append(f"categories.{cat}: unknown category (known: {', '.join(CATEGORIES)})")
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            problems.append(f"categories.{cat}: needs a non-empty `name`")
            continue
        extra = set(entry) - {"name", "department"}
        if extra:
            problems.append(f"categories.{cat}: unknown keys {sorted(extra)}")
        result[cat] = CategoryConfig(name=entry["name"], department=entry.get("department"))
    missing = [c for c in CATEGORIES if c not in result]
    if missing and result:
        problems.append(f"categories: missing {', '.join(missing)}")
    return result


def _check(cfg: Config, problems: list[str]) -> None:
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: unknown time zone {cfg.timezone!r} (e.g. Asia/Shanghai)")
    if not re.fullmatch(r"[A-Z]{1,6}", cfg.ticket_prefix):
        problems.append(f"ticket_prefix: 1-6 capital letters, got {cfg.ticket_prefix!r}")
    tg = cfg.telegram
    if tg.mode not in ("polling", "webhook"):
        problems.append(f"telegram.mode: polling or webhook, got {tg.mode!r}")
    if tg.mode == "webhook" and not tg.webhook.url.startswith("https://"):
        problems.append("telegram.webhook.url: webhook mode needs a public https:// URL")
    if tg.webhook.secret_token and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", tg.webhook.secret_token):
        problems.append("telegram.webhook.secret_token: 1-256 characters of A-Z a-z 0-9 _ -")
    if not 1 <= tg.webhook.port <= 65535:
        problems.append(f"telegram.webhook.port: 1-65535, got {tg.webhook.port}")
    for key, url in (("telegram.base_url", tg.base_url), ("telegram.file_base_url", tg.file_base_url),
                     ("nlu.url", cfg.nlu.url)):
        if not re.match(r"https?://", url):
            problems.append(f"{key}: expected an http(s) URL, got {url!r}")
    if not re.match(r"(sqlite\+aiosqlite|postgresql\+asyncpg)://", cfg.database.url):
        problems.append("database.url: use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB, "
                        f"got {cfg.database.url!r}")
    if cfg.nlu.backend not in ("keyword", "rasa"):
        problems.append(f"nlu.backend: keyword or rasa, got {cfg.nlu.backend!r}")
    if cfg.cases.on_unsatisfied not in ("reopen", "close", "supervisor"):
        problems.append(f"cases.on_unsatisfied: reopen, close or supervisor, got {cfg.cases.on_unsatisfied!r}")
    _check_timing(cfg, problems)
    positives = {
        "nlu.timeout_seconds": cfg.nlu.timeout_seconds,
        "intake.draft_window_minutes": cfg.intake.draft_window_minutes,
        "intake.max_photos": cfg.intake.max_photos,
        "intake.max_text_chars": cfg.intake.max_text_chars,
        "intake.followup_minutes": cfg.intake.followup_minutes,
        "outbox.max_attempts": cfg.outbox.max_attempts,
        "outbox.backoff_base_seconds": cfg.outbox.backoff_base_seconds,
        "outbox.backoff_max_seconds": cfg.outbox.backoff_max_seconds,
        "outbox.global_per_second": cfg.outbox.global_per_second,
        "outbox.per_chat_per_second": cfg.outbox.per_chat_per_second,
        "outbox.per_chat_burst": cfg.outbox.per_chat_burst,
        "invites.valid_hours": cfg.invites.valid_hours,
    }
    for key, value in positives.items():
        if value <= 0:
            problems.append(f"{key}: must be greater than 0, got {value}")
    if cfg.outbox.margin_seconds < 0 or cfg.outbox.margin_seconds * cfg.outbox.per_chat_per_second >= \
            cfg.outbox.per_chat_burst - 1:
        problems.append(f"outbox.margin_seconds: from 0 to less than (per_chat_burst - 1) / per_chat_per_second, "
                        f"got {cfg.outbox.margin_seconds}")
    if cfg.intake.max_photos > 10:
        problems.append("intake.max_photos: Telegram albums hold at most 10 photos")
    if cfg.intake.max_text_chars > 4000:
        problems.append("intake.max_text_chars: at most 4000 (a case card must fit in one message)")


# ---- deadlines and escalation
def _deadlines(data: Any, problems: list[str]) -> DeadlinesConfig:
    """The `deadlines` section: limits per category, the working calendar, quiet hours, the ladder."""
    base = DeadlinesConfig()
    if data is None:
        return base
    if not isinstance(data, dict):
        problems.append("deadlines: expected a mapping")
        return base
    for unknown in sorted(set(data) - {f.name for f in fields(DeadlinesConfig)}):
        problems.append(f"deadlines.{unknown}: unknown key")
    values: dict[str, Any] = {}

    def texts(name: str, check) -> None:
        if name not in data:
            return
        items = data[name]
        if not isinstance(items, list):
            problems.append(f"deadlines.{name}: expected a list")
            return
        good = True
        for item in items:
            try:
                check(item)
            except (ValueError, TypeError) as exc:
                problems.append(f"deadlines.{name}: {exc}")
                good = False
        if good:
            values[name] = tuple(str(i) for i in items)

    def weekday(item):
        if item not in WEEKDAYS:
            raise ValueError(f"{item!r} is not one of {', '.join(WEEKDAYS)}")

    def working_range(item):
        start, end = parse_range(item)
        if end < start:
            raise ValueError(f"{item!r}: working hours cannot cross midnight")

    def category(item):
        if item not in CATEGORIES:
            raise ValueError(f"unknown category {item!r}")

    texts("working_days", weekday)
    texts("working_hours", working_range)
    texts("holidays", lambda item: parse_dates([item]))
    texts("extra_working_days", lambda item: parse_dates([item]))
    texts("urgent_categories", category)
    if not values.get("working_days", base.working_days) or not values.get("working_hours", base.working_hours):
        problems.append("deadlines: working_days and working_hours may not be empty")
    if "quiet_hours" in data:
        quiet = data["quiet_hours"]
        try:
            if quiet not in ("", None):
                parse_range(quiet)
            values["quiet_hours"] = quiet or ""
        except ValueError as exc:
            problems.append(f"deadlines.quiet_hours: {exc} (or empty for none)")
    if "reminders" in data:
        fractions = data["reminders"]
        if (not isinstance(fractions, list) or any(isinstance(f, bool) or not isinstance(f, (int, float))
                                                   or not 0 < f < 1 for f in fractions)
                or list(fractions) != sorted(set(fractions))):
            problems.append(f"deadlines.reminders: increasing fractions between 0 and 1, e.g. [0.5, 0.8]; "
                            f"got {fractions!r}")
        else:
            values["reminders"] = tuple(float(f) for f in fractions)
    if "escalation" in data:
        values["escalation"] = _escalation(data["escalation"], "deadlines.escalation", problems, base.escalation)
    for name in ("default", "urgent"):
        if name in data:
            values[name] = _limit(data[name], f"deadlines.{name}", problems, getattr(base, name))
    if "categories" in data:
        cats = data["categories"]
        if not isinstance(cats, dict):
            problems.append("deadlines.categories: expected a mapping of category → {accept, resolve, hours}")
        else:
            default = values.get("default", base.default)
            result = {}
            for cat, entry in cats.items():
                key = f"deadlines.categories.{cat}"
                if cat not in CATEGORIES:
                    problems.append(f"{key}: unknown category")
                    continue
                limit = _limit(entry, key, problems, None)
                if limit.hours and limit.hours != default.hours and not (limit.accept and limit.resolve):
                    problems.append(f"{key}: with hours different from deadlines.default, give accept and resolve")
                result[cat] = limit
            values["categories"] = result
    return replace(base, **values)


def _limit(data: Any, key: str, problems: list[str], base: LimitConfig | None) -> LimitConfig:
    if not isinstance(data, dict):
        problems.append(f"{key}: expected a mapping with accept, resolve, hours")
        return base or LimitConfig()
    for unknown in sorted(set(data) - {"accept", "resolve", "hours", "escalation"}):
        problems.append(f"{key}.{unknown}: unknown key")
    values: dict[str, Any] = {}
    for name in ("accept", "resolve"):
        if name in data:
            try:
                days, rest = parse_amount(data[name])
                if days <= 0 and rest.total_seconds() <= 0:
                    raise ValueError("must be longer than 0")
                values[name] = str(data[name])
            except ValueError as exc:
                problems.append(f"{key}.{name}: {exc}")
    if "hours" in data:
        if data["hours"] not in ("working", "calendar"):
            problems.append(f"{key}.hours: working or calendar, got {data['hours']!r}")
        else:
            values["hours"] = data["hours"]
    if "escalation" in data:
        values["escalation"] = _escalation(data["escalation"], f"{key}.escalation", problems, EscalationConfig())
    return replace(base or LimitConfig(), **values)


def _escalation(data: Any, key: str, problems: list[str], base: EscalationConfig) -> EscalationConfig:
    if not isinstance(data, dict):
        problems.append(f"{key}: expected a mapping with accept and resolve ladders")
        return base
    for unknown in sorted(set(data) - {"accept", "resolve"}):
        problems.append(f"{key}.{unknown}: unknown key (accept or resolve)")
    values: dict[str, Any] = {}
    for phase in ("accept", "resolve"):
        if phase not in data:
            continue
        rungs = data[phase]
        if not isinstance(rungs, list):
            problems.append(f"{key}.{phase}: expected a list of {{to: ROLE, after: DURATION}}")
            continue
        result = []
        for i, rung in enumerate(rungs):
            where = f"{key}.{phase}[{i}]"
            if not isinstance(rung, dict) or set(rung) - {"to", "after"} or "to" not in rung:
                problems.append(f"{where}: expected {{to: ROLE, after: DURATION}}")
                continue
            if rung["to"] not in LADDER_ROLES:
                problems.append(f"{where}.to: one of {', '.join(LADDER_ROLES)}, got {rung['to']!r}")
                continue
            after = str(rung.get("after", "0m"))
            try:
                parse_amount(after)
            except ValueError as exc:
                problems.append(f"{where}.after: {exc}")
                continue
            result.append(RungConfig(rung["to"], after))
        values[phase] = tuple(result)
    return replace(base, **values)


_SECTIONS = {"deadlines": _deadlines}


def _check_timing(cfg: Config, problems: list[str]) -> None:
    """Durations and times of the rating, digest and scheduler settings; the deadline policy as a whole."""
    for key, text in (("cases.ask_rating_after", cfg.cases.ask_rating_after),
                      ("cases.close_after", cfg.cases.close_after), ("digests.catch_up", cfg.digests.catch_up)):
        try:
            parse_amount(text)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    for key, text in (("digests.officer_morning", cfg.digests.officer_morning),
                      ("digests.supervisor_daily", cfg.digests.supervisor_daily)):
        if text:
            try:
                parse_clock(text)
            except ValueError as exc:
                problems.append(f"{key}: {exc} (or empty to send none)")
    if not isinstance(cfg.scheduler.enabled, bool):
        problems.append(f"scheduler.enabled: true or false, got {cfg.scheduler.enabled!r}")
    for key, value in (("scheduler.sweep_seconds", cfg.scheduler.sweep_seconds),
                       ("scheduler.lease_seconds", cfg.scheduler.lease_seconds), ("scheduler.batch", cfg.scheduler.batch)):
        if value <= 0:
            problems.append(f"{key}: must be greater than 0, got {value}")
    if cfg.scheduler.batch_pause_seconds < 0:
        problems.append(f"scheduler.batch_pause_seconds: 0 or more, got {cfg.scheduler.batch_pause_seconds}")
    if cfg.scheduler.lease_seconds < 2 * cfg.scheduler.sweep_seconds:
        problems.append("scheduler.lease_seconds: at least twice scheduler.sweep_seconds, or the lease lapses "
                        "between sweeps")
    if not problems:
        try:
            build_policy(cfg)
        except ValueError as exc:
            problems.append(f"deadlines: {exc}")


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
    problems: list[str] = []
    cfg = _build(Config, raw, "", problems)
    if not cfg.categories:
        cfg = replace(cfg, categories={c: CategoryConfig(name=c) for c in CATEGORIES})
    _check(cfg, problems)
    if problems:
        raise ConfigError([f"{path}: {p}" for p in problems])
    return cfg
