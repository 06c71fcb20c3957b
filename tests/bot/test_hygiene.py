"""bot/hygiene.py on its own: what may reach the database from a channel."""
import math

import pytest

from bot.hygiene import INT32_MAX, INT64_MAX, MAX_STRING, bounded_id, clean_payload, clean_text, ids_fit, phone, row_id


def test_nul_and_lone_surrogates_go_and_pairs_and_chinese_stay():
    assert clean_text("垃\x00圾\ud800堆\udfff了💩") == "垃圾堆了💩"
    assert clean_text("x" * (MAX_STRING + 5)) == "x" * MAX_STRING
    assert clean_text("号码很长", 2) == "号码"


def test_every_string_of_a_payload_is_cleaned_and_numbers_that_are_not_json_go():
    payload = {"message": {"text": "a\x00", "k\ud800": ["\ud83d", 1.5, math.nan], "location": {"latitude": math.inf}},
               "update_id": 2 ** 70}
    assert clean_payload(payload) == {"message": {"text": "a", "k": ["", 1.5, None], "location": {"latitude": None}},
                                      "update_id": 2 ** 70}


def test_ids_beyond_64_bits_are_found_anywhere():
    assert ids_fit({"a": [{"id": INT64_MAX}, -INT64_MAX - 1, True]})
    assert not ids_fit({"a": [{"id": INT64_MAX + 1}]})
    assert not ids_fit({"chat": {"id": -INT64_MAX - 2}})
    assert (bounded_id(INT64_MAX), bounded_id(INT64_MAX + 1), bounded_id(None)) == (INT64_MAX, None, None)


@pytest.mark.parametrize("text", ["", "-1", "+1", "1.0", "١٢", str(INT32_MAX + 1), "99999999999999999999"])
def test_a_row_id_from_a_button_is_a_plain_32_bit_number(text):
    with pytest.raises(ValueError):
        row_id(text)


def test_row_ids_that_a_row_can_have_are_read():
    assert (row_id("0"), row_id("17"), row_id(str(INT32_MAX))) == (0, 17, INT32_MAX)


def test_a_shared_contact_is_digits_or_nothing():
    assert phone("+86 138-0013-8000") == "+8613800138000"
    assert phone("13800138000\x00") == "13800138000"
    assert phone("1" * 33) is None and phone("没有号码") is None and phone("") is None
