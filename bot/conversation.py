"""What a resident's message means in the conversation they are in.

The NLU reads one message alone; people write in a conversation. A message that names no new
problem or place while a case of theirs is open is about that case ("两天了还没人来" is an urge,
"旁边还有根钢筋" an addition), and after 办结 "还是老样子" is a 不满意. When the reading is not sure,
the bot asks with buttons instead of silently opening a new report. Pure functions of the
person's `Situation` and the `Parse`, so every rule is testable without a database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from bot.lifecycle import Status
from bot.understanding import Intent, Parse
from storage.models import Case


class Move(StrEnum):
    """What the bot does with the message."""

    REPORT = "report"        # a new problem, or more of the report in progress
    URGE = "urge"
    ADD_INFO = "add_info"    # the words are added to the case and relayed to whoever has it
    PROGRESS = "progress"
    CANCEL = "cancel"        # asks for confirmation first
    RATE_GOOD = "rate_good"
    RATE_BAD = "rate_bad"    # 不满意 with the resident's words (cases.on_unsatisfied decides what follows)
    ASK = "ask"              # unsure: offer `options` as buttons
    CHOOSE = "choose"        # a case move, but which of several cases: offer `cases`
    NONE_OPEN = "none_open"  # a case move with no case to act on
    CHAT = "chat"            # greet, help, thanks, yes/no, out of scope: a fixed answer


CASE_MOVES = {
    Intent.URGE: Move.URGE, Intent.ADD_INFO: Move.ADD_INFO, Intent.QUERY_PROGRESS: Move.PROGRESS,
    Intent.CANCEL: Move.CANCEL, Intent.RATE_GOOD: Move.RATE_GOOD, Intent.RATE_BAD: Move.RATE_BAD,
}
# Intents with a fixed answer that, from someone with a case open, may well be about the case.
CHATTY = frozenset({Intent.HELP, Intent.OUT_OF_SCOPE, Intent.AFFIRM, Intent.DENY, Intent.GREET})
SUBSTANTIAL_CHARS = 8  # "好的" and "你好" are chat; a sentence of eight characters says something
# Statuses a move can act on (the lifecycle table has the final word; this picks the candidates).
ACTS_ON: dict[Move, frozenset[Status]] = {
    Move.URGE: frozenset({Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}),
    Move.ADD_INFO: frozenset({Status.SUBMITTED, Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}),
    # CLOSED: only the case just rated is among the person's cases ("最后是哪个部门处理的？")
    Move.PROGRESS: frozenset({Status.SUBMITTED, Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED, Status.RESOLVED,
                              Status.CLOSED}),
    Move.CANCEL: frozenset({Status.SUBMITTED, Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED}),
    Move.RATE_GOOD: frozenset({Status.RESOLVED}),
    Move.RATE_BAD: frozenset({Status.RESOLVED}),
}


# Words of an announcement that more is coming ("我想补充一下情况"), as opposed to the addition itself.
_ANNOUNCING = ("我想", "我要", "想", "要", "再", "补充", "补", "一下", "情况", "材料", "说明", "信息", "资料",
               "一点", "几句", "说", "讲", "下", "啲", "嘢", "多", "少少", "我", "的", "啊", "呀", "吖", "喔")
_PUNCTUATION = set(" ，。！？,.!?~～…、：:；;")


def announces_only(text: str) -> bool:
    """True when `text` only says an addition will follow: then the bot asks for it."""
    rest = "".join(ch for ch in text if ch not in _PUNCTUATION)
    for word in sorted(_ANNOUNCING, key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(rest) <= 1


@dataclass(frozen=True)
class Reading:
    move: Move
    case: Case | None = None
    options: tuple[tuple[Move, Case | None], ...] = ()  # ASK: what the person may have meant
    cases: tuple[Case, ...] = ()                         # CHOOSE: the cases it may be about
    then: Move | None = None                             # CHOOSE: the move for the case chosen
    intent: str = ""


# Questions the bot asks in passing (a comment on the rating): a message that is plainly something
# else — a new report, an urge, a cancel — is not taken as the answer.
OPTIONAL_QUESTIONS = frozenset({"rate_comment"})
NOT_AN_ANSWER = frozenset({Intent.REPORT, Intent.URGE, Intent.QUERY_PROGRESS, Intent.CANCEL, Intent.ADD_INFO})
# Words that bring in another problem than the one just rated ("另外…", "对面车道又有个坑").
_ANOTHER = re.compile(r"另外|另一|还有|還有|仲有|又有|也有|隔壁|隔篱|隔籬|对面|對面")


def answers(question: str, parse: Parse, text: str, thresholds: "Thresholds") -> bool:
    """Whether a message answers the pending `question` rather than starting something else. Right
    after a rating, a problem said surely, at no place, with no danger and as no other problem
    ("锯下来的树枝还堆在路边") is about the case just rated: it is the comment, which reaches the
    officer. A report the NLU is unsure of may be an urge or a question: it is read (and asked about)."""
    if question not in OPTIONAL_QUESTIONS:
        return True
    if parse.intent == Intent.REPORT:
        return (parse.intent_confidence >= thresholds.ask_below and not _names_place_or_danger(parse)
                and not _ANOTHER.search(text))
    return parse.intent not in NOT_AN_ANSWER


@dataclass(frozen=True)
class Thresholds:
    ask_below: float = 0.6        # an intent less sure than this, while a case is open, is asked about
    new_problem_above: float = 0.6  # a category this sure, unlike every open case's, offers a new report first


def read(parse: Parse, text: str, *, draft_open: bool, cases: tuple[Case, ...], ticket_case: Case | None = None,
         category_words: dict[str, tuple[str, ...]] | None = None, thresholds: Thresholds = Thresholds()) -> Reading:
    """The move for `text` given the person's open and resolved `cases` (newest first)."""
    intent = parse.intent
    if draft_open and intent in (Intent.REPORT, Intent.ADD_INFO, Intent.OUT_OF_SCOPE, Intent.AFFIRM):
        return Reading(Move.REPORT, intent=intent)
    words = category_words or {}
    if intent in CASE_MOVES:
        move = CASE_MOVES[intent]
        if move is Move.RATE_BAD and not _on(cases, move) and _on(cases, Move.URGE):
            move = Move.URGE  # "still not fixed" before 办结 is pressing for it
        reading = _about(move, parse, text, cases, ticket_case, words)
        if reading is None:  # no case this move can act on
            if _on(cases, Move.PROGRESS):
                return _ask(_on(cases, Move.PROGRESS)[0], parse)  # e.g. an urge about a case already 办结
            if move is not Move.RATE_GOOD and _names_a_problem(parse, thresholds):
                return Reading(Move.REPORT, intent=intent)  # "XX路路灯坏了 快派人来": nothing to urge yet
            return Reading(Move.CHAT if move is Move.RATE_GOOD else Move.NONE_OPEN,
                           intent=Intent.THANKS if move is Move.RATE_GOOD else intent)
        if reading.case is not None and parse.intent_confidence < thresholds.ask_below:
            return _ask(reading.case, parse, first=move)
        if move is Move.RATE_BAD and reading.case is not None and _QUESTION.search(text):
            # "说搞掂咗 系咪真系装咗净化器?" asks before it complains: reopening waits for a button
            return _ask(reading.case, parse, first=Move.PROGRESS)
        return reading
    if intent == Intent.REPORT:
        candidates = _on(cases, Move.PROGRESS)
        same = [c for c in candidates if c.category == parse.category or _names(c, parse, text, words)]
        clearly_said = parse.category_confidence >= thresholds.new_problem_above and parse.category != "other"
        named = parse.first("address")
        new_place = bool(named) and _names_a_place(named) and not any(_at_place(c, parse, text) for c in candidates)
        if not candidates or (new_place and (clearly_said or not same)):
            return Reading(Move.REPORT, intent=intent)  # no case open, or a problem said at a new place
        if same:  # the case's problem, or a place alone ("店名叫X 在松柏里二楼", "是B座不是A座"): asked
            return _ask(same[0], parse, report_first=new_place)
        # Another problem at no new place may still be about the case ("听到屋里有响声" on a welfare
        # check): asked, never drafted silently, with the new report first when it is said clearly.
        return _ask(candidates[0], parse, report_first=clearly_said)
    if intent == Intent.THANKS and _on(cases, Move.RATE_GOOD):
        return _ask(_on(cases, Move.RATE_GOOD)[0], parse, first=Move.RATE_GOOD)  # thanks for a case just 办结
    if intent in CHATTY and cases and _says_something(text) and _on(cases, Move.PROGRESS):
        return _ask(_on(cases, Move.PROGRESS)[0], parse)  # more than a hello while a case is open
    return Reading(Move.CHAT, intent=intent)


# Words that ask rather than complain ("系咪真系整好咗?", "几时先修好").
_QUESTION = re.compile(r"[?？]|吗|系咪|係咪|是不是|是否|有没有|有冇|想问|请问|问下|问一下|想問|請問|問下|定系|定係|"
                       r"几时|幾時|什么时候|甚麼時候|多久|几耐|幾耐|何时|何時")


def _names_a_problem(parse: Parse, thresholds: Thresholds) -> bool:
    """A place, a danger, or a problem said clearly: words a report is made of."""
    return _names_place_or_danger(parse) or (parse.category_confidence >= thresholds.new_problem_above
                                             and parse.category != "other")


def _names_place_or_danger(parse: Parse) -> bool:
    return bool(parse.urgent or parse.first("address"))


def _says_something(text: str) -> bool:
    return len([ch for ch in text if ch.isalnum()]) >= SUBSTANTIAL_CHARS


def _on(cases: tuple[Case, ...], move: Move) -> tuple[Case, ...]:
    return tuple(c for c in cases if c.status in ACTS_ON[move])


def _about(move: Move, parse: Parse, text: str, cases: tuple[Case, ...], ticket_case: Case | None,
           words: dict[str, tuple[str, ...]]) -> Reading | None:
    """The one case a case move is about: the ticket, the only candidate, or the one the words name;
    a choice among several; None when no case is in a status the move acts on."""
    if ticket_case is not None:
        return Reading(move, ticket_case, intent=parse.intent)
    candidates = _on(cases, move)
    if not candidates:
        return None
    if len(candidates) == 1:
        return Reading(move, candidates[0], intent=parse.intent)
    named = [c for c in candidates if _names(c, parse, text, words)]
    if len(named) == 1:
        return Reading(move, named[0], intent=parse.intent)
    return Reading(Move.CHOOSE, intent=parse.intent, cases=tuple(named or candidates)[:6], then=move)


def _names(case: Case, parse: Parse, text: str, words: dict[str, tuple[str, ...]]) -> bool:
    """Does the message point at this case: its place, or a word of its category ("那个路灯的呢")?"""
    return _at_place(case, parse, text) or any(w in text for w in words.get(case.category, ()))


def _at_place(case: Case, parse: Parse, text: str) -> bool:
    """The case's place is named, whole or by a name of its own ("松柏里巷口二楼" for 梓元岗路松柏里)."""
    place = case.address_text or ""
    return bool(place) and (place in text or any(_same_place(place, e.value)
                                                 for e in parse.entities if e.entity == "address"))


PLACE_NAME_CHARS = 3  # 松柏里, 东园新村: three characters name a place; two (东风, 中山) are a road's half
# What every address has: shared alone ("路12号", "新村3栋"), they name no place in common.
_GENERIC_PLACE = re.compile(r"[\d路街道巷里坊村号栋座楼层单元室之大小东南西北新旧\s-]")


# Words that say where within a place, not which place ("12号门口和14号门口之间", "3栋楼下", "对面那栋").
_WITHIN = re.compile(r"门口|門口|门前|之间|中间|对面|對面|旁边|旁邊|隔壁|隔篱|里面|裡面|入面|附近|楼下|樓下|楼上|樓上|"
                     r"转角|轉角|拐角|一带|[A-Za-z和与同及到至那这嗰呢个個侧边邊前后後间]")


def _names_a_place(named: str) -> bool:
    """An address with a name of its own (a street, an estate, a building), not only numbers and
    where within the case's place: that is a detail of it, never a new place."""
    return bool(_GENERIC_PLACE.sub("", _WITHIN.sub("", named)))


def _same_place(place: str, named: str) -> bool:
    if place in named or named in place:
        return True
    match = SequenceMatcher(None, place, named, autojunk=False).find_longest_match()
    common = place[match.a:match.a + match.size]
    return match.size >= PLACE_NAME_CHARS and len(_GENERIC_PLACE.sub("", common)) >= 2


def _ask(case: Case, parse: Parse, first: Move | None = None, report_first: bool = False) -> Reading:
    """Offer what the message may mean for `case`, and a new report (first when more likely)."""
    if case.status == Status.RESOLVED:
        moves = [Move.RATE_BAD, Move.RATE_GOOD, Move.PROGRESS]
    elif case.status == Status.CLOSED:
        moves = [Move.PROGRESS]
    else:
        moves = [Move.URGE, Move.ADD_INFO, Move.PROGRESS]  # "师傅几时到" is often read as a report
    if first is not None and first in ACTS_ON and case.status in ACTS_ON[first]:
        moves = [first] + [m for m in moves if m is not first]
    options = tuple((m, case) for m in moves)
    report = ((Move.REPORT, None),)
    return Reading(Move.ASK, case, options=report + options if report_first else options + report,
                   intent=parse.intent)
