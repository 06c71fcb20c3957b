"""Each kind of candidate and each decision, on a tiny library and on the shared district."""
import pytest

from bot.places import PlaceMatcher


def test_road_number_with_numerals_and_position(tiny):
    d = tiny.match("中山5路十二号门口垃圾没人收")
    assert (d.status, d.best.address_id, d.grid_id, d.position) == ("matched", "中山五路-12", "G1b", "门口")
    assert d.candidates[0].score == 1.0


def test_missing_number_takes_a_neighbour_on_the_same_side(tiny):
    d = tiny.match("中山五路7号")  # 5 and 9: 9 is missing too, so 5 (G1)
    assert d.status == "matched" and d.grid_id == "G1" and d.best.how == "nearest_number"
    assert d.best.score < 1


def test_missing_number_between_grids_is_confirmed(tiny):
    d = tiny.match("中山五路11号")  # neighbours 10 (G1b) and … on both sides of a grid line
    assert d.status == "confirm" and {c.grid_id for c in d.candidates} >= {"G1b"}


def test_number_past_the_end_is_confirmed(tiny):
    d = tiny.match("中山五路400号")
    assert d.status == "confirm" and d.best.address_id == "中山五路-12"


def test_corridor_without_segment_is_confirmed(tiny):
    d = tiny.match("中山路3号")
    assert d.status == "confirm"
    assert {c.address_id for c in d.candidates} == {"中山五路-3", "中山四路-3"}


def test_compound_building_and_alias(tiny):
    assert tiny.match("东湖新邨").best.address_id == "C1"
    for text in ("东湖新村3栋楼下", "东湖新村三号楼", "东湖新村3号楼下有人吵架", "东湖新村 3幢"):
        d = tiny.match(text)
        assert (d.status, d.best.address_id, d.grid_id) == ("matched", "B1", "G5"), text
    assert tiny.match("东湖新村a座").best.address_id == "B2"


def test_unknown_building_falls_back_to_the_compound_and_asks(tiny):
    d = tiny.match("东湖新村9栋")
    assert d.status == "confirm" and d.best.address_id == "C1" and "9" in d.reason


def test_landmark_metro_exit_and_position(tiny):
    d = tiny.match("农讲所地铁站C出口有人摆摊")
    assert (d.status, d.best.address_id, d.detail) == ("matched", "L1", "C出口")
    assert tiny.match("地铁农讲所站").best.address_id == "L1"
    d = tiny.match("人民公园对面")
    assert (d.best.address_id, d.position) == ("L2", "对面")


def test_short_alias_only_when_it_stands_alone(tiny):
    assert tiny.match("省医门口").best.address_id == "L3"
    assert tiny.match("节省医疗费用").status == "ask"


@pytest.mark.parametrize("text", ["中山五路和北京路交叉口", "北京路与中山五路交叉口", "中山5路北京路口",
                                  "中山路和北京路交叉口", "北京路、中山五路十字路口"])
def test_intersection(tiny, text):
    d = tiny.match(text)
    assert (d.status, d.best.address_id) == ("matched", "X1"), text


def test_typos(tiny):
    assert tiny.match("东湖新春3栋楼下").best.address_id == "B1"
    d = tiny.match("中山五陆12号")
    assert (d.status, d.best.address_id, d.best.how) == ("matched", "中山五路-12", "fuzzy")
    assert tiny.match("中山五路和北京陆交叉口").best.address_id == "X1"


def test_outside_and_ask(tiny):
    assert tiny.match("天河区体育西路23号有人打架").status == "outside"
    assert tiny.match("深圳南山区科技园").status == "outside"
    assert tiny.match("体育西路地铁站").status == "outside"
    assert tiny.match("我在天河区上班，家住东湖新村3栋，楼下很吵").best.address_id == "B1"
    for text in ("垃圾没人收", "你好", "小区门口乱停车", "12号提交的投诉有结果吗"):
        d = tiny.match(text)
        assert (d.status, d.candidates) == ("ask", ()), text
    assert "without a house number" in tiny.match("中山五路上有人摆摊").reason


def test_entity_focuses_the_message(tiny):
    text = "人民公园对面的中山五路12号"
    assert tiny.match(text).status == "confirm"  # two places in two grids
    assert tiny.match(text, entity="中山五路12号").best.address_id == "中山五路-12"
    assert tiny.match("那边很吵", entity="东湖新村3号楼").best.address_id == "B1"


def test_records_may_be_any_objects_with_the_attributes(tiny):
    assert len(tiny) == 30 and len(PlaceMatcher([])) == 0
    assert PlaceMatcher([]).match("东湖新村").status == "ask"


@pytest.mark.parametrize("text, status, name", [
    ("中山5路12号门口垃圾没人收", "matched", "中山五路12号"),
    ("东湖新村3栋楼下", "matched", "东湖新村3栋"),
    ("农讲所地铁站C出口有人摆摊", "matched", "农讲所地铁站"),
    ("东风路和北京路交叉口", "matched", "东风中路与北京路交叉口"),
    ("人民公园对面", "matched", "人民公园"),
    ("中山路12号", "confirm", None),
    ("天河区天河路385号", "outside", None),
    ("垃圾没人收", "ask", None),
])
def test_issue_examples_on_the_shared_district(district, text, status, name):
    d = district.match(text)
    assert d.status == status
    if name:
        assert d.best.name == name


def test_crossing_missing_from_the_library_takes_the_nearest_door(tiny):
    d = tiny.match("中山四路和北京路交叉口")  # the roads meet, the library has no such crossing
    assert d.status == "confirm" and d.best.how == "near_crossing"
    assert tiny.match("中山四路和东湖路交叉口").status == "ask"  # 东湖路 is not a road here


def test_long_messages_are_bounded(tiny):
    d = tiny.match("今天" * 3000 + "东湖新村3栋")
    assert d.status == "ask"  # past the first 4096 characters
    assert tiny.match("今天天气很好" * 40 + "东湖新村3栋楼下").best.address_id == "B1"
