"""Reading a message in its conversation: pure rules over the person's cases and the parse."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from bot.conversation import Move, Thresholds, announces_only, read
from bot.lifecycle import Status
from bot.understanding import Entity, Parse

WORDS = {"streetlight": ("路灯",), "garbage": ("垃圾", "环境卫生"), "noise": ("噪音",)}


@dataclass
class FakeCase:
    id: int
    status: str
    category: str
    address_text: str | None = None
    ticket: str = "YX-20261124-0001"
    created_at: datetime = field(default_factory=lambda: datetime(2026, 11, 24, tzinfo=timezone.utc))
    grid: object = None


def parse(intent: str, confidence: float = 0.95, category: str = "other", category_confidence: float = 0.3,
          address: str | None = None) -> Parse:
    entities = (Entity("address", address, 0, len(address)),) if address else ()
    return Parse(intent, confidence, category, category_confidence, False, entities=entities)


LAMP = FakeCase(1, Status.ACCEPTED, "streetlight", "中山五路12号")
TRASH = FakeCase(2, Status.ASSIGNED, "garbage", "东湖新村3栋", ticket="YX-20261124-0002")
FIXED = FakeCase(3, Status.RESOLVED, "streetlight", "北京路", ticket="YX-20261123-0009")


def test_without_cases_a_report_is_a_report_and_a_case_move_has_nothing_to_act_on():
    assert read(parse("report"), "楼下垃圾", draft_open=False, cases=()).move is Move.REPORT
    assert read(parse("urge"), "快点", draft_open=False, cases=()).move is Move.NONE_OPEN


@pytest.mark.parametrize("said", [
    parse("urge", address="中山五路"),
    parse("urge", category="streetlight", category_confidence=0.8),
    Parse("query_progress", 0.9, "other", 0.2, True),  # urgent
], ids=["a place", "a clear category", "a danger"])
def test_without_cases_a_case_move_that_names_a_problem_is_a_new_report(said):
    assert read(said, "中山五路的路灯问题 请派人来处理", draft_open=False, cases=()).move is Move.REPORT



def test_without_cases_a_case_move_that_names_no_problem_has_nothing_to_act_on():
    assert read(parse("urge", category="streetlight", category_confidence=0.3), "快点派人来",
                draft_open=False, cases=()).move is Move.NONE_OPEN


def test_a_draft_in_progress_takes_more_of_the_report():
    assert read(parse("add_info"), "旁边还有钢筋", draft_open=True, cases=(LAMP,)).move is Move.REPORT


@pytest.mark.parametrize("intent,move", [("urge", Move.URGE), ("add_info", Move.ADD_INFO),
                                         ("query_progress", Move.PROGRESS), ("cancel", Move.CANCEL)])
def test_a_case_move_acts_on_the_only_open_case(intent, move):
    reading = read(parse(intent), "…", draft_open=False, cases=(LAMP,))
    assert reading.move is move and reading.case is LAMP


def test_with_several_cases_the_words_pick_one_or_the_person_chooses():
    assert read(parse("query_progress"), "那个路灯的呢", draft_open=False, cases=(LAMP, TRASH),
                category_words=WORDS).case is LAMP
    assert read(parse("urge"), "东湖新村3栋那个快点", draft_open=False, cases=(LAMP, TRASH)).case is TRASH
    reading = read(parse("urge"), "快点啦", draft_open=False, cases=(LAMP, TRASH), category_words=WORDS)
    assert reading.move is Move.CHOOSE and list(reading.cases) == [LAMP, TRASH]


def test_a_ticket_picks_the_case():
    assert read(parse("urge"), "YX-20261124-0002 快点", draft_open=False, cases=(LAMP, TRASH),
                ticket_case=TRASH).case is TRASH


def test_not_fixed_after_resolution_is_unsatisfied_and_before_it_an_urge():
    assert read(parse("rate_bad"), "还是老样子", draft_open=False, cases=(FIXED,)).move is Move.RATE_BAD
    assert read(parse("rate_bad"), "还是没修好", draft_open=False, cases=(LAMP,)).move is Move.URGE
    assert read(parse("rate_good"), "好嘢", draft_open=False, cases=()).move is Move.CHAT
    thanks = read(parse("thanks"), "来得很快，非常感谢", draft_open=False, cases=(FIXED,))
    assert thanks.move is Move.ASK and thanks.options[0] == (Move.RATE_GOOD, FIXED)


def test_a_question_about_a_resolved_case_does_not_reopen_it_unasked():
    question = read(parse("rate_bad"), "说弄好了 想问下是不是真的换了灯泡", draft_open=False, cases=(FIXED,))
    assert question.move is Move.ASK and question.options[0] == (Move.PROGRESS, FIXED)
    assert read(parse("rate_bad"), "说弄好了 灯泡根本没换", draft_open=False, cases=(FIXED,)).move is Move.RATE_BAD
    when = read(parse("rate_bad"), "说弄好了 几时先真系换灯泡", draft_open=False, cases=(FIXED,))
    assert when.move is Move.ASK
    assert read(parse("rate_bad"), "你们说灯修好了？", draft_open=False, cases=(FIXED,)).move is Move.ASK


def test_more_than_a_hello_while_a_case_is_open_is_asked_about_and_a_hello_is_not():
    assert read(parse("help"), "啱啱漏咗讲，坏嘅系巷口第二支", draft_open=False, cases=(LAMP,)).move is Move.ASK
    assert read(parse("greet"), "你好", draft_open=False, cases=(LAMP,)).move is Move.CHAT
    assert read(parse("urge"), "处理好了？", draft_open=False, cases=(FIXED,)).move is Move.ASK


def test_a_report_naming_no_new_problem_or_place_while_a_case_is_open_is_asked_about():
    reading = read(parse("report", category="streetlight", category_confidence=0.9), "灯还是不亮啊",
                   draft_open=False, cases=(LAMP,), category_words=WORDS)
    assert reading.move is Move.ASK and reading.case is LAMP
    assert [m for m, _ in reading.options] == [Move.URGE, Move.ADD_INFO, Move.PROGRESS, Move.REPORT]
    after = read(parse("report", category="streetlight", category_confidence=0.9), "灯又黑了",
                 draft_open=False, cases=(FIXED,), category_words=WORDS)
    assert [m for m, _ in after.options] == [Move.RATE_BAD, Move.RATE_GOOD, Move.PROGRESS, Move.REPORT]


def test_a_report_of_a_new_place_is_a_new_report():
    new_place = read(parse("report", category="streetlight", category_confidence=0.9, address="北京路8号"),
                     "北京路8号路灯也不亮", draft_open=False, cases=(LAMP,), category_words=WORDS)
    assert new_place.move is Move.REPORT


def test_a_place_alone_that_is_not_the_cases_is_asked_about_with_the_new_report_first():
    """"是B座不是A座" or a shop's address: a vague message at another place may correct the case."""
    noisy = FakeCase(4, Status.RETURNED, "noise", "梓元岗路松柏里", ticket="YX-20261124-0004")
    vague = read(parse("report", category="noise", category_confidence=0.3, address="东华东路3号"),
                 "在东华东路3号二楼", draft_open=False, cases=(noisy,), category_words=WORDS)
    assert vague.move is Move.ASK and [m for m, _ in vague.options][0] is Move.REPORT


@pytest.mark.parametrize("named", ["松柏里巷口二楼", "梓元岗路", "松柏里"])
def test_a_place_named_by_a_name_of_its_own_is_the_cases_place(named):
    noisy = FakeCase(4, Status.RETURNED, "noise", "梓元岗路松柏里", ticket="YX-20261124-0004")
    reading = read(parse("report", category="other", address=named), f"店名叫金嗓子 在{named}",
                   draft_open=False, cases=(noisy,), category_words=WORDS)
    assert reading.move is Move.ASK and reading.case is noisy


@pytest.mark.parametrize("named", ["中山四路12号", "东风东路", "华侨新村3栋"])
def test_addresses_sharing_only_a_number_or_a_suffix_are_other_places(named):
    lamp = FakeCase(5, Status.ACCEPTED, "streetlight", "东风西路12号")
    home = FakeCase(6, Status.ACCEPTED, "garbage", "东园新村3栋")
    reading = read(parse("report", category="noise", category_confidence=0.9, address=named), f"{named}好吵",
                   draft_open=False, cases=(lamp, home), category_words=WORDS)
    assert reading.move is Move.REPORT


def test_a_different_problem_at_no_new_place_is_asked_about_with_the_new_report_first_when_clear():
    clear = read(parse("report", category="noise", category_confidence=0.9), "楼上装修好吵",
                 draft_open=False, cases=(LAMP,), category_words=WORDS)
    assert clear.move is Move.ASK and [m for m, _ in clear.options] == [Move.REPORT, Move.URGE, Move.ADD_INFO, Move.PROGRESS]
    vague = read(parse("report", category="noise", category_confidence=0.4), "屋里好似有响声",
                 draft_open=False, cases=(LAMP,), category_words=WORDS)
    assert vague.move is Move.ASK and [m for m, _ in vague.options] == [Move.URGE, Move.ADD_INFO, Move.PROGRESS, Move.REPORT]


def test_an_unsure_case_move_is_asked_about_with_that_move_first():
    reading = read(parse("cancel", confidence=0.4), "算了吧", draft_open=False, cases=(LAMP,),
                   thresholds=Thresholds(ask_below=0.6))
    assert reading.move is Move.ASK and reading.options[0] == (Move.CANCEL, LAMP)


@pytest.mark.parametrize("text,only", [("我想补充一下情况", True), ("补充下", True), ("我要补充啲嘢", True),
                                       ("补充一下，坑旁边还有根钢筋露出来", False), ("旁边还有个烂沙发", False)])
def test_an_announced_addition_is_asked_for_and_a_real_one_kept(text, only):
    assert announces_only(text) is only


def test_a_rating_comment_is_not_taken_from_a_message_that_is_plainly_something_else():
    from bot.conversation import answers
    t = Thresholds()
    assert answers("rate_comment", parse("rate_good"), "处理得好快，赞", t)
    assert answers("rate_comment", parse("rate_good", confidence=0.4), "就咁啦", t)  # unsure, but a rating
    assert answers("rate_comment", parse("report"), "剪下来的树枝还堆在路边", t)  # at no place: the case just rated
    assert not answers("rate_comment", parse("report", confidence=0.5), "请重新派人来修", t)  # unsure: read
    assert not answers("rate_comment", parse("report", address="北京路8号"), "北京路8号也有", t)  # somewhere else
    assert not answers("rate_comment", parse("report"), "另外佢哋晚晚将张台摆出行人路", t)  # another problem
    assert not answers("rate_comment", parse("report"), "不过对面车道又有个坑", t)
    assert not answers("rate_comment", parse("urge"), "快啲啦", t)
    assert not answers("rate_comment", parse("urge", confidence=0.5), "你哋再派人嚟睇下啦", t)
    assert answers("resolve_note", parse("report"), "北京路8号", t)  # a question that must be answered keeps its answer



def test_the_case_just_rated_and_closed_is_still_the_one_a_question_or_an_unsure_report_is_about():
    rated = FakeCase(4, Status.CLOSED, "road_damage", "中山四路", ticket="YX-20261122-0004")
    question = read(parse("query_progress"), "最后系边个部门处理㗎？", draft_open=False, cases=(rated,))
    assert question.move is Move.PROGRESS and question.case is rated
    unsure = read(parse("report", confidence=0.5), "拆咗嘅铁栏杆几时装返", draft_open=False, cases=(rated,))
    assert unsure.move is Move.ASK and [m for m, _ in unsure.options] == [Move.PROGRESS, Move.REPORT]


@pytest.mark.parametrize("named", ["12号门口和14号门口之间", "3栋楼下", "对面那栋", "B座"])
def test_an_address_of_numbers_and_where_within_is_a_detail_of_the_case_not_a_new_place(named):
    reading = read(parse("report", category="streetlight", category_confidence=0.9, address=named),
                   f"里面那两盏在{named}", draft_open=False, cases=(LAMP,))
    assert reading.move is Move.ASK and reading.options[-1] == (Move.REPORT, None)


def test_an_address_with_a_name_of_its_own_is_a_new_place():
    reading = read(parse("report", category="streetlight", category_confidence=0.9, address="登峰巷"),
                   "登峰巷的路灯也坏了", draft_open=False, cases=(LAMP,))
    assert reading.move is Move.REPORT
