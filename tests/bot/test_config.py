"""config.yaml: defaults, environment overrides, and a clear message for every bad value."""
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import DEFAULT_CONFIG, ConfigError, load_config
from bot.deadlines import build_policy
from tests.bot.test_deadline_policy import FakeCase


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_with_every_category_named_and_builds_a_policy():
    """The one test of the shipped config.yaml: every other test runs on tests/config.yaml."""
    cfg = load_config(DEFAULT_CONFIG, env={})
    assert cfg.timezone == "Asia/Shanghai"
    assert cfg.category_name("garbage") == "垃圾/环境卫生"
    assert len(cfg.categories) == 20
    policy = build_policy(cfg)
    assert policy.limit_for(FakeCase(category="garbage")).accept == timedelta(minutes=30)
    assert policy.is_urgent(FakeCase(category="fire_hazard"))


def test_environment_overrides_the_file(tmp_path):
    cfg = load_config(write(tmp_path, "telegram: {token: from-file}\n"), env={
        "TELEGRAM_BOT_TOKEN": "123:ABC", "GRIDSEC_DATABASE_URL": "postgresql+asyncpg://u@h/db",
        "GRIDSEC_BOT_API_URL": "http://127.0.0.1:9/bot", "GRIDSEC_NLU_URL": "http://127.0.0.1:5005"})
    assert cfg.telegram.token == "123:ABC"
    assert cfg.database.url == "postgresql+asyncpg://u@h/db"
    assert cfg.telegram.base_url == "http://127.0.0.1:9/bot"


@pytest.mark.parametrize("text, key", [
    ("timezone: Mars/Olympus\n", "timezone"),
    ("ticket_prefix: yx1\n", "ticket_prefix"),
    ("telegram: {mode: carrier-pigeon}\n", "telegram.mode"),
    ("telegram: {mode: webhook}\n", "telegram.webhook.url"),
    ("database: {url: mysql://x}\n", "database.url"),
    ("nlu: {backend: gpt}\n", "nlu.backend"),
    ("intake: {max_photos: 11}\n", "intake.max_photos"),
    ("intake: {draft_window_minutes: 0}\n", "intake.draft_window_minutes"),
    ("outbox: {max_attempts: many}\n", "outbox.max_attempts"),
    ("cases: {on_unsatisfied: ignore}\n", "cases.on_unsatisfied"),
    ("categories: {garbage: {name: 垃圾}, potholes: {name: 坑}}\n", "categories.potholes"),
    ("colour: blue\n", "colour: unknown key"),
    ("intake: [1, 2]\n", "intake: expected a mapping"),
])
def test_bad_values_are_named(tmp_path, text, key):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text), env={})
    assert key in str(error.value)


def test_all_problems_are_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "timezone: Nowhere\nticket_prefix: '1'\n"), env={})
    assert len(error.value.problems) == 2


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", env={})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "a: [\n"), env={})
