"""Text normalisation before understanding: traditional → simplified, full-width → half-width, Cantonese → Mandarin.

Residents write simplified, traditional and Cantonese; the training data is mostly simplified Mandarin
with some Cantonese. Two levels, because entity offsets must stay offsets into the text the resident sent:

    fold(text) -> str       # same length, character for character: NFKC (only where it yields one
                            # character) and OpenCC's traditional → simplified character table.
                            # fold(text)[i] is the normal form of text[i]: safe for the whole pipeline.
    mandarin(text) -> str   # fold, then common Cantonese words → Mandarin (嘅→的, 唔→不, 乜嘢→什么 …).
                            # Length changes: only for classification and features, never for offsets.

Pure functions, standard library plus `opencc` (opencc-python-reimplemented, pure Python), so they
import in the bot's venv and in the Rasa venv alike.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from opencc import OpenCC

_T2S = OpenCC("t2s")


def _basic_cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


@functools.lru_cache(maxsize=65536)
def fold_char(c: str) -> str:
    """One character's normal form, always one character.

    OpenCC's character table turns some Cantonese characters into rare extension-block forms
    (嗰→𠮶, 噚→㖊) that appear in no training data or dictionary: those are kept as written.
    """
    n = unicodedata.normalize("NFKC", c)
    if len(n) != 1:
        n = c
    s = _T2S.convert(n)
    if len(s) != 1 or (_basic_cjk(n) and not _basic_cjk(s)):
        return n
    return s


def fold(text: str) -> str:
    """Length-preserving normal form: fold(text)[i] == fold_char(text[i])."""
    return "".join(fold_char(c) for c in text)


def fold_lower(text: str) -> str:
    """fold, then lower case where that keeps one character: what keyword and danger rules match on."""
    out = []
    for c in text:
        n = fold_char(c)
        low = n.lower()
        out.append(low if len(low) == 1 else n)
    return "".join(out)


# Cantonese → Mandarin, on folded (simplified) text. Multi-character words first where a single
# character's reading would be wrong (唔该 is "please", not 不该; 系 alone is 关系/系统, so only the
# Cantonese copula patterns are mapped; 呢 alone is Mandarin's particle; 边 alone is 路边).
CANTONESE = {
    "唔该晒": "谢谢", "唔该": "麻烦", "唔使": "不用", "唔好": "不要", "唔系": "不是", "系唔系": "是不是",
    "系咪": "是不是", "就系": "就是", "都系": "都是", "仲系": "还是", "仲未": "还没", "仲有": "还有",
    "乜嘢": "什么", "咩嘢": "什么", "做咩": "干什么", "咩事": "什么事", "乜": "什么",
    "边度": "哪里", "边处": "哪里", "边个": "谁", "点样": "怎样", "点解": "为什么", "点算": "怎么办",
    "呢度": "这里", "呢个": "这个", "呢啲": "这些", "呢排": "最近", "呢几日": "这几天", "呢两日": "这两天",
    "嗰度": "那里", "嗰个": "那个", "嗰啲": "那些", "嗰边": "那边", "嗰": "那",
    "佢哋": "他们", "我哋": "我们", "你哋": "你们", "佢": "他", "哋": "们",
    "而家": "现在", "宜家": "现在", "依家": "现在", "琴日": "昨天", "寻日": "昨天", "噚日": "昨天",
    "听日": "明天", "前日": "前天", "头先": "刚才", "啱啱": "刚刚", "成日": "经常", "近排": "最近",
    "夜晚黑": "晚上", "朝早": "早上", "晏昼": "下午", "挨晚": "傍晚", "屋企": "家里", "搞掂": "搞定",
    "好似": "好像", "落雨": "下雨", "跌落": "掉下", "咁样": "这样", "噉样": "这样", "咁": "这么", "噉": "这样",
    "冇": "没有", "咗": "了", "喺": "在", "嘅": "的", "啲": "些", "嘢": "东西", "睇": "看", "嚟": "来",
    "揾": "找", "畀": "给", "俾": "给", "攞": "拿", "瞓": "睡", "嘥": "浪费", "喇": "了", "唔": "不",
}
_CANTONESE_RE = re.compile("|".join(map(re.escape, sorted(CANTONESE, key=len, reverse=True))))


def mandarin(text: str) -> str:
    """fold, then Cantonese words → Mandarin (leftmost, longest first). Not length-preserving."""
    return _CANTONESE_RE.sub(lambda m: CANTONESE[m.group()], fold(text))


__all__ = ["CANTONESE", "fold", "fold_char", "fold_lower", "mandarin"]
