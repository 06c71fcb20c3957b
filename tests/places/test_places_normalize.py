"""What residents type and the one spelling it is matched under."""
import pytest

from bot.places.normalize import chinese_to_int, normalize, strip_position


@pytest.mark.parametrize("typed, key", [
    ("中山5路12号", "中山5路12号"),
    ("中山五路十二号", "中山5路12号"),
    ("中山五路 一十二 号", "中山5路12号"),
    ("二十三", "23"),
    ("一百零五号", "105号"),
    ("一零二号", "102号"),
    ("中山５路１２号", "中山5路12号"),  # full width
    ("中山五路12-1号", "中山5路12号"),  # the door is 12号
    ("东湖新邨", "东湖新村"),
    ("東湖新村3號樓", "东湖新村3栋"),
    ("东湖新村3号楼", "东湖新村3栋"),
    ("东湖新村三幢", "东湖新村3栋"),
    ("东湖新村3座", "东湖新村3栋"),
    ("东山广场ａ座", "东山广场A栋"),
    ("东湖新村3号楼下", "东湖新村3号楼下"),  # 楼下 stays a position word
    ("东湖新村3楼", "东湖新村3楼"),  # a floor, not a building
    ("农讲所地铁站，C出口！", "农讲所地铁站C出口"),
    ("百灵商住楼", "百灵商住楼"),  # a lone 百 starts names
    ("先烈南路十字路口", "先烈南路十字路口"),
    ("水荫路113一直漏水", "水荫路113一直漏水"),
    ("流花路六一带", "流花路6一带"),
    ("先烈中路二百一十一下水道", "先烈中路211下水道"),
    ("中山五陆", "中山5陆"),  # financial numerals are typos, not numbers
])
def test_normalize(typed, key):
    assert normalize(typed) == key


@pytest.mark.parametrize("run, value", [("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23),
                                        ("一百零五", 105), ("三百一十", 310), ("一二三", 123),
                                        ("百", None), ("千", None)])
def test_chinese_to_int(run, value):
    assert chinese_to_int(run) == value


@pytest.mark.parametrize("rest, expected", [
    ("门口垃圾没人收", ("垃圾没人收", "门口")), ("对面", ("", "对面")), ("十字路口", ("", "十字路口")),
    ("楼下很吵", ("很吵", "楼下")), ("垃圾没人收", ("垃圾没人收", None)),
])
def test_strip_position(rest, expected):
    assert strip_position(rest) == expected
