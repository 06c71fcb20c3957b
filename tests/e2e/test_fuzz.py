"""Odd updates through the stand-in into the real PTB Application, on both databases (issue 12):
NUL and lone surrogates in every string, ids beyond 32 and 64 bits, long contacts, NaN and
infinite locations, forged callback data, and every kind of update the bot does not act on.
Each must be stored and settled as handled, with no ERROR and no traceback in the log."""
from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from sqlalchemy import select

from storage.models import InboundUpdate
from tests.e2e.conftest import INSIDE

NASTY = ["\x00", "\ud800", "\udfff", "a\x00b", "垃圾\ud83d", "💩", "\u202e", "x" * 5000, "", " ", "\n",
         "YX-20261124-0001", "/start", "/join \x00", "/leave 3d \x00", "/my", "/tasks\x00", "13800138000"]
strings = st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=6)), max_size=4).map("".join))
BIG = [2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 63 - 1, 2 ** 63, 2 ** 64 + 5, -(2 ** 63) - 1, 0, -1]
big_ints = st.one_of(st.sampled_from(BIG), st.integers(min_value=-(2 ** 70), max_value=2 ** 70))
odd_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(INSIDE))
CALLBACKS = ["c:{big}:acc", "c:{big}:view", "t:{big}:g", "t:1:d:{s}", "c:1:{s}", "m:{s}:{big}", "d:{s}",
             "d:place:{s}", "d:cat:{s}", "c:1:rao:{s}", "{s}", "c:-1:acc", "c:1:rt:{s}"]


def sender(tg_id: int) -> dict:
    return {"id": tg_id, "is_bot": False, "first_name": "fuzz"}


@st.composite
def contents(draw) -> dict:
    """What a message carries: text, media, a place, a contact, or something the bot does not read."""
    file = {"file_id": draw(strings) or "f", "file_unique_id": draw(strings) or "u"}
    kind = draw(st.sampled_from(["text", "photo", "location", "venue", "contact", "sticker", "voice",
                                 "document", "dice", "poll", "caption"]))
    location = {"latitude": draw(odd_floats), "longitude": draw(odd_floats)}
    return {
        "text": lambda: {"text": draw(strings)},
        "photo": lambda: {"photo": [{**file, "width": 1, "height": 1}], "caption": draw(strings),
                          "media_group_id": draw(strings)},
        "caption": lambda: {"photo": [{**file, "width": 1, "height": 1}], "caption": draw(strings) * 50},
        "location": lambda: {"location": location},
        "venue": lambda: {"venue": {"location": location, "title": draw(strings), "address": draw(strings)},
                          "location": location},
        "contact": lambda: {"contact": {"phone_number": draw(strings) * draw(st.integers(1, 20)),
                                        "first_name": draw(strings), "user_id": draw(st.one_of(st.none(), big_ints))}},
        "sticker": lambda: {"sticker": {**file, "width": 1, "height": 1, "is_animated": False,
                                        "is_video": False, "type": "regular"}},
        "voice": lambda: {"voice": {**file, "duration": draw(st.integers(0, 10 ** 6))}},  # PTB makes it a timedelta
        "document": lambda: {"document": {**file, "file_name": draw(strings)}, "caption": draw(strings)},
        "dice": lambda: {"dice": {"emoji": "🎲", "value": draw(big_ints)}},
        "poll": lambda: {"poll": poll(draw)},
    }[kind]()


def poll(draw) -> dict:
    return {"id": draw(strings), "question": draw(strings),
            "options": [{"text": draw(strings), "voter_count": 0, "persistent_id": draw(strings)}],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
            "allows_multiple_answers": False, "allows_revoting": False, "members_only": False}


@st.composite
def updates(draw, users: list[int]) -> dict:
    """One odd update: from a known user (so replies can be delivered) unless its ids are beyond range
    or it comes from a group or channel, where the bot answers nobody."""
    user = draw(st.one_of(st.sampled_from(users), st.sampled_from([2 ** 63, 2 ** 64 + 5, -(2 ** 63) - 1])))
    message_id = draw(st.one_of(st.integers(1, 10 ** 6), big_ints))
    private = {"id": user, "type": "private", "first_name": draw(strings)}
    group = {"id": draw(big_ints), "type": draw(st.sampled_from(["group", "supergroup"])), "title": draw(strings)}
    message = {"message_id": message_id, "date": 1764000000, "chat": private,
               "from": {**sender(user), "first_name": draw(strings), "username": draw(strings) * 3},
               **draw(contents())}
    if draw(st.booleans()):
        message["reply_to_message"] = {"message_id": draw(big_ints), "date": 1764000000, "chat": private}
    data = draw(st.sampled_from(CALLBACKS)).format(big=draw(big_ints), s=draw(strings))
    kind = draw(st.sampled_from(["message", "edited_message", "group", "channel_post", "callback_query",
                                 "message_reaction", "poll", "poll_answer", "my_chat_member", "inline_query"]))
    return {
        "message": lambda: {"message": message},
        "edited_message": lambda: {"edited_message": {**message, "edit_date": 1764000001}},
        "group": lambda: {"message": {**message, "chat": group}},
        "channel_post": lambda: {"channel_post": {**{k: v for k, v in message.items() if k != "from"},
                                                  "chat": {**group, "type": "channel"}}},
        "callback_query": lambda: {"callback_query": {"id": draw(strings) or "q", "from": sender(user),
                                                      "chat_instance": draw(strings), "data": data}},
        "message_reaction": lambda: {"message_reaction": {
            "chat": private, "message_id": message_id, "user": sender(user), "date": 1764000000,
            "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
        "poll": lambda: {"poll": poll(draw)},
        "poll_answer": lambda: {"poll_answer": {"poll_id": draw(strings), "user": sender(user),
                                                "option_ids": [draw(big_ints)],
                                                "option_persistent_ids": [draw(strings)]}},
        "my_chat_member": lambda: {"my_chat_member": {
            "chat": private, "from": sender(user), "date": 1764000000,
            "old_chat_member": {"status": "member", "user": sender(1)},
            "new_chat_member": {"status": "kicked", "user": sender(1), "until_date": 0}}},
        "inline_query": lambda: {"inline_query": {"id": draw(strings) or "i", "from": sender(user),
                                                  "query": draw(strings), "offset": draw(strings)}},
    }[kind]()


class Errors(logging.Handler):
    """Log records of ERROR and above, and any record carrying a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture
def errors():
    handler = Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


# No shrinking: each example is a round trip through the bot, and the failing batch is printed as drawn.
@settings(max_examples=200, deadline=None, database=None, phases=(Phase.generate,),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
async def test_odd_updates_are_stored_and_settled_without_an_error(sim, errors, data):
    """One running bot takes every example (the database keeps what earlier ones left, as it would)."""
    batch = data.draw(st.lists(updates([u.tg_id for u in sim.users.values()]), min_size=1, max_size=8))
    ids = [sim.standin.inject_raw(update).update_id for update in batch]
    await sim.settle(ids, timeout=15)
    sim.standin.sent.clear()
    async with sim.runtime.services.db.session() as session:
        rows = dict((await session.execute(select(InboundUpdate.update_id, InboundUpdate.status)
                                           .where(InboundUpdate.update_id.in_(ids)))).all())
    assert {i: rows.get(i) for i in ids} == {i: "done" for i in ids}
    assert [f"{r.name}: {r.getMessage()}" for r in errors.records] == []
