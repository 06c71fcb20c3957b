"""nlu/normalize.py: traditional → simplified, full-width → half-width, Cantonese → Mandarin."""
from __future__ import annotations

import pytest

from nlu.keywords import KeywordParser
from nlu.normalize import CANTONESE, fold, fold_char, mandarin


@pytest.mark.parametrize("trad, simp", [
    ("煤氣味", "煤气味"), ("冒煙", "冒烟"), ("觸電", "触电"), ("樓上著火", "楼上著火"),
    ("電線斷咗", "电线断咗"), ("東華東路", "东华东路"), ("井蓋冇咗", "井盖冇咗"),
])
def test_traditional_danger_words_fold_to_simplified(trad, simp):
    assert fold(trad) == simp


@pytest.mark.parametrize("text, want", [
    ("１３８００１３８０００", "13800138000"), ("ＹＸ－２０２６", "YX-2026"), ("好臭！！", "好臭!!"),
    ("\u3000楼下", " 楼下"),
])
def test_full_width_to_half_width(text, want):
    assert fold(text) == want


@pytest.mark.parametrize("text", [
    "樓下煤氣味好重，電話１３８００１３８０００", "㎡ ﷺ ½", "嗰度噚日冇咗", "🔥着火了🔥", "", "a\u0301",
])
def test_fold_preserves_length_and_offsets(text):
    out = fold(text)
    assert len(out) == len(text)
    assert all(out[i] == fold_char(c) for i, c in enumerate(text))


def test_nfkc_that_would_change_length_is_skipped():
    assert fold("㎡") == "㎡" and fold("½") == "½"


def test_cantonese_characters_stay_in_the_basic_block():
    assert fold("嗰度") == "嗰度" and fold("噚日") == "噚日"


def test_simplified_text_is_unchanged():
    text = "东华东路的肉菜市场后门那堆垃圾发臭好几天了，环卫也不来拉走"
    assert fold(text) == text.replace("，", ",")


@pytest.mark.parametrize("text, want", [
    ("啲垃圾冇人理", "些垃圾没有人理"),
    ("水管爆咗", "水管爆了"),
    ("我喺楼下", "我在楼下"),
    ("佢哋嘅车", "他们的车"),
    ("乜嘢事", "什么事"),
    ("边度有嘢", "哪里有东西"),
    ("唔该派人嚟睇下", "麻烦派人来看下"),
    ("唔系我", "不是我"),
    ("系咪煤氣味", "是不是煤气味"),
    ("沙井唔去水", "沙井不去水"),
])
def test_cantonese_words_to_mandarin(text, want):
    assert mandarin(text) == want


@pytest.mark.parametrize("text", ["系统出了问题", "联系电话", "路边", "你呢？", "仲裁"])
def test_mandarin_words_are_left_alone(text):
    assert mandarin(text) == fold(text)


def test_cantonese_table_keys_are_already_folded():
    assert all(fold(k) == k for k in CANTONESE)


@pytest.mark.parametrize("trad, simp", [("聞到煤氣", "闻到煤气"), ("燃氣洩漏", "燃气泄漏"), ("有人觸電", "有人触电"),
                                        ("廚房冒煙", "厨房冒烟")])
def test_keyword_fallback_flags_traditional_as_simplified(trad, simp):
    parser = KeywordParser()
    a, b = parser.parse_sync(trad), parser.parse_sync(simp)
    assert a.urgent and b.urgent
    assert (a.intent, a.category) == (b.intent, b.category)
