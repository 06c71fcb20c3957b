"""One canonical spelling for what residents type and for the address library.

Index and query go through the same `normalize`, so 中山5路/中山五路, 十二号/12号, Ａ座/A栋 and
东湖新邨/东湖新村 meet on one key. Position words (门口, 对面 …) are not removed here because
they also occur inside names (西门口); the matcher peels them off after a name.
"""
from __future__ import annotations

import re
import unicodedata

# Traditional forms and variants seen in addresses, mapped to the library's spelling.
_VARIANTS = str.maketrans({
    "邨": "村", "號": "号", "樓": "楼", "棟": "栋", "東": "东", "門": "门", "廣": "广",
    "場": "场", "園": "园", "區": "区", "華": "华", "豐": "丰", "倉": "仓", "龍": "龙",
    "灣": "湾", "橋": "桥", "館": "馆", "寶": "宝", "陽": "阳", "興": "兴", "雲": "云",
    "國": "国", "學": "学", "醫": "医", "蘭": "兰", "農": "农", "講": "讲", "馬": "马",
    "車": "车", "衛": "卫", "慶": "庆", "紀": "纪", "義": "义", "〇": "零",
})

# Financial numerals (伍, 陆 …) are left alone: in messages they are typos or names (陆 = land).
_DIGIT = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_RUN = re.compile("[零一二三四五六七八九十百千]+")
_WORD_AFTER_YI = set("直下些起点般定样边带共切旦向会再同齐律概")  # 一直, 一下 … are no numbers

# Building markers: 3号楼, 3幢, 3座, A座 all mean the library's 3栋 / A栋. "3号楼下" keeps
# 号 so that 楼下 stays a position word; a bare 3楼 is a floor and is left alone.
_BUILDING = re.compile(r"(?<=[0-9A-Z])(号楼(?!下)|号栋|幢|座|栋)")
_SUBNUMBER = re.compile(r"(?<=[0-9])[-－—~之][0-9]+")  # 12-1号, 12之3号: the door is 12号
_DROP = re.compile(r"[\s\u3000,，。.、;；:：!！?？'\"“”‘’()（）\[\]【】<>《》~～\-—_/\\|·…#@*+=]+")

POSITION_WORDS = (
    "十字路口", "交叉口", "交界处", "交汇处", "路口", "附近", "门口", "对面", "旁边", "隔壁",
    "楼下", "后面", "前面", "周边", "周围", "一带", "里面", "外面", "边上", "这边", "那边",
    "这里", "那里", "入口", "出口", "楼上", "后门", "侧门", "大门", "东门", "西门", "南门",
    "北门", "门前", "旁", "边", "内", "外", "前", "后", "下",
)
_POSITION = re.compile("^(?:" + "|".join(sorted(POSITION_WORDS, key=len, reverse=True)) + ")")


def chinese_to_int(run: str) -> int | None:
    """Value of a Chinese numeral run (十二, 二十三, 一百零五, 一零二); None if it is no number.

    A lone 百/千 is not converted: it starts names (百灵, 千年古道) far more often than it counts.
    """
    if not any(c in _DIGIT for c in run) and not run.startswith("十"):
        return None
    if not any(c in _UNIT for c in run):
        return int("".join(str(_DIGIT[c]) for c in run))
    total, digit = 0, None
    for c in run:
        if c in _DIGIT:
            digit = _DIGIT[c]
        else:
            unit = _UNIT[c]
            if digit is None and total % (unit * 10) >= unit:
                return None  # 十十, 百百: not a well-formed number
            total += (1 if digit is None else digit) * unit
            digit = None
    return total + (digit or 0)


def _numerals(text: str) -> str:
    """Chinese numeral runs to Arabic, except in words that only look like numbers (十字路口,
    一直, 一带) and right after Arabic digits (水荫路113一直 is 113, not 1131)."""
    def repl(m: re.Match[str]) -> str:
        run, after = m.group(), text[m.end():m.end() + 1]
        if m.start() and text[m.start() - 1].isdigit():
            return run
        kept = ""
        if (run.endswith("一") and after and after in _WORD_AFTER_YI and not any(c in _UNIT for c in run)) \
                or (run.endswith("十") and after == "字"):
            run, kept = run[:-1], run[-1]  # 流花路六一带 is 6 + 一带; 二百一十一下水道 stays 211
        value = chinese_to_int(run) if run else None
        return (run if value is None else str(value)) + kept
    return _NUMERAL_RUN.sub(repl, text)


def normalize(text: str) -> str:
    """Canonical key: half width, upper-case Latin, simplified variants, Arabic numerals,
    building markers as 栋, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text).upper().translate(_VARIANTS)
    text = _numerals(text)
    text = _DROP.sub("", _SUBNUMBER.sub("", text))
    return _BUILDING.sub("栋", text)


def strip_position(text: str) -> tuple[str, str | None]:
    """Split a leading position word off normalized text that follows a place name."""
    m = _POSITION.match(text)
    return (text[m.end():], m.group()) if m else (text, None)
