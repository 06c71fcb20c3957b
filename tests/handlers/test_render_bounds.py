"""What a card or a case view embeds is bounded, so Telegram never refuses it for its length."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.config import load_config
from bot.lifecycle import Role
from handlers.render import DESCRIPTION_SHOWN, TEXT_LIMIT, TIMELINE_SHOWN, card_text, clip, timeline_text
from handlers.texts import t
from storage.models import Case, CaseEvent, Person

from tests.conftest import TEST_CONFIG

AT = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def config():
    return load_config(TEST_CONFIG, env={})


def test_clip_marks_the_cut_and_leaves_short_text_alone():
    assert clip("路灯坏了", 10) == "路灯坏了"
    assert clip("一二三四五", 4) == "一二三…"


def test_a_card_shows_the_description_cut_and_fits(config):
    reporter = Person(display_name="王" * 128, phone="13800138000")
    case = Case(ticket="YX-20261124-0001", status="assigned", category="garbage", urgent=True, urgent_cue="煤气味",
                description="垃圾" * 3000, reporter=reporter, created_at=AT, address_text="路" * 256)
    text = card_text(config, case, why="原因" * 1000)
    assert "…" in text and "垃圾" * (DESCRIPTION_SHOWN // 2 - 1) in text and len(text) <= TEXT_LIMIT
    assert len(case.description) == 6000  # the case itself keeps every word


def test_a_long_timeline_shows_the_newest_rows(config):
    events = [CaseEvent(action="remind", at=AT + timedelta(minutes=i), note=f"第{i}次" + "提醒" * 100, data={})
              for i in range(100)]
    lines = timeline_text(config, events, {Role.REPORTER}).splitlines()
    assert lines[0] == t("timeline_more", n=100 - TIMELINE_SHOWN)
    assert len(lines) == TIMELINE_SHOWN + 1 and "第99次" in lines[-1] and "第69次" not in "".join(lines)
