"""The keyword parser: the fallback NLU used when the Rasa server is down (or as the only backend).

Rules over keyword tables kept as data in `nlu/keywords.yaml`:

* intent, in this order: a whole-message social reply (greet/thanks/affirm/deny: "好的", "唔该");
  "how do I …" help questions; ticket-management rules (cancel, rate_bad, add_info, urge,
  query_progress, rate_good), all *strong* rules first (they decide even inside a long problem
  description), then *weak* ones (only when the message describes no problem, or refers to an
  earlier ticket); then, with a leading greeting/politeness and trailing thanks peeled off, a social
  reply again; a bare ticket number (progress) or phone/plate (add_info); help; out_of_scope words;
  report when there is problem evidence (category keywords, report words, urgency, an address);
  finally a long unexplained message is taken as a low-confidence report, a short one as
  out_of_scope. So "好的" is affirm, while a long complaint ending in "谢谢" is a report.
* category: leftmost-longest keyword matching over all categories at once; confidence is the top
  category's weight share, with `category_prior_mass` kept back, so it is always below 1.0.
* urgent: the shared danger rules (nlu/danger.py), as in the Rasa pipeline.
* entities: ticket, phone, plate, address, time, with offsets into the original text.

Matching runs on a normalised copy of the text (nlu.normalize.fold_lower: NFKC per character and
traditional -> simplified, then lower case) built character for character, so every offset is an offset into the
text the caller passed, and `text[e.start:e.end] == e.value` for every entity.

No jieba: plain substring/regex matching; nothing global is touched.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.understanding import CATEGORIES, INTENTS, TICKET, Entity, Parse
from nlu.danger import DangerRules, load_rules
from nlu.normalize import fold_lower

DEFAULT_TABLES = Path(__file__).with_name("keywords.yaml")

# Messages longer than this are parsed on their first MAX_CHARS characters only (offsets unaffected).
MAX_CHARS = 20_000

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ffff"
_CN_NUM = "零〇一二两三四五六七八九十百"
_NON_WORD = re.compile(r"[\W_]+")
_NAME_CHAR = re.compile(rf"[{_CJK}0-9a-z]")

# ---------------------------------------------------------------- entity patterns (structural)
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3})[- ]?\d{7,8}(?![0-9])")
_LOCAL_NUMBER = re.compile(r"(?:电话|手机|联系|tel|号码)[^0-9]{0,4}((?<![0-9])\d{7,8}(?![0-9]))")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_PLATE = re.compile(
    rf"[{_PROVINCES}][a-z][·•.\- ]?[a-z0-9]{{5,6}}(?:[挂学警港澳])?(?![a-z0-9])|"
    rf"[{_PROVINCES}][a-z][·•.\- ]?[a-z0-9]{{4}}[挂学警港澳](?![a-z0-9])")
# Numeral runs are bounded so that long runs of digits cannot make the regexes quadratic.
_NUM = rf"(?:\d{{1,6}}|[{_CN_NUM}]{{1,6}})"
_DURATION = re.compile(
    rf"(?:\d{{1,4}}|[{_CN_NUM}几半]{{1,4}}|好几|十几|几十)(?:多)?(?:个)?(?:多)?"
    r"(?:天|日|晚|夜|周|星期|礼拜|月|年|小时|钟头|分钟|个钟)(?:多)?(?:了|之久)?")
_DAY_WORD = re.compile(
    r"(?:上|下|本|这)?(?:个)?(?:周|星期|礼拜)[一二三四五六日天]|大前天|前天|昨天|今天|明天|后天|大后天|今日|昨日|琴日|寻日|噚日|听日|今晚|昨晚|前晚|琴晚|寻晚|尋晚|"
    r"今早|昨早|今朝|琴朝|每天|每日|每晚|天天|日日|晚晚|这几天|呢几日|这两天|呢两日|这段时间|最近|近排|刚才|刚刚|头先|而家|宜家|"
    r"周末|上周|这周|本周|下周|上个?星期|上个?礼拜|这个?星期|上个月|这个月|本月|去年|今年")
_DAY_PART = re.compile(r"早上|上午|中午|下午|傍晚|晚上|夜晚|夜里|半夜|凌晨|深夜|晚间|夜间|朝早|晏昼|挨晚|夜晚黑|白天|下昼|今晚黑")
_CLOCK = re.compile(
    rf"(?:\d{{1,2}}[:：]\d{{2}})|(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})(?:点|點|时)(?:钟)?"
    rf"(?:半|一刻|三刻|多|左右|整|\d{{1,2}}分?|[{_CN_NUM}]{{1,3}}分)?")
_DATE = re.compile(rf"(?:\d{{4}}年)?\d{{1,2}}月\d{{1,2}}[日号]|\d{{1,2}}月[{_CN_NUM}]{{1,3}}[日号]")


@dataclass(frozen=True)
class _Rule:
    strong: tuple[re.Pattern, ...]
    weak: tuple[re.Pattern, ...]


def _compile_all(patterns: Any) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(str(p)) for p in (patterns or ()))


def _alternation(words, boundary: bool = False) -> str:
    """A regex alternation of literal words, longest first. With `boundary`, single-character and
    ASCII words must not run into further word characters."""
    parts = []
    for w in sorted({str(w) for w in words}, key=len, reverse=True):
        esc = re.escape(w)
        if boundary and (len(w) == 1 or w.isascii()):
            esc += r"(?![0-9a-z])" if w.isascii() else rf"(?![{_CJK}0-9a-z])"
        parts.append(esc)
    return "|".join(parts) or "(?!)"


def _not_before(chars: str) -> str:
    return f"(?![{re.escape(chars)}])" if chars else ""


class _Tables:
    """The YAML tables, compiled once."""

    def __init__(self, data: dict):
        self.prior_mass = float(data.get("category_prior_mass", 1.0))
        particles = re.escape(str(data.get("particles", "")))
        part = f"[{particles}]*" if particles else ""

        social = {k: [str(w).lower() for w in (v or ())] for k, v in (data.get("social") or {}).items()}
        self.social_full: dict[str, re.Pattern] = {}
        for intent in ("deny", "affirm", "greet", "thanks"):
            alt = _alternation(social.get(intent, ()))
            self.social_full[intent] = re.compile(rf"^(?:(?:{alt}){part}[\W_]*)+$")
        greet_alt = _alternation(social.get("greet", ()), boundary=True)
        thanks_alt = _alternation(social.get("thanks", ()), boundary=True)
        # leading greetings/politeness, trailing thanks (also leading "唔该"/"谢谢" as politeness)
        self.lead_greet = re.compile(rf"^[\W_]*(?:(?:{greet_alt}){part}(?:[\W_]+|$))+")
        self.lead_thanks = re.compile(rf"^[\W_]*(?:(?:{thanks_alt}){part}(?:[\W_]+|$))+")
        polite_alt = _alternation(social.get("polite", ()), boundary=True)
        self.lead_polite = re.compile(rf"^[\W_]*(?:(?:{polite_alt}){part}(?:[\W_]+|$))+")
        self.trail_thanks = re.compile(rf"(?:(?:^|(?<=[\W_])|(?<=[{_CJK}]))(?:{thanks_alt}){part}[\W_]*)+$")
        self.emoji = {str(k): str(v) for k, v in (data.get("emoji") or {}).items()}

        self.intent_order = [str(i) for i in data.get("intent_order", ())]
        self.rules: dict[str, _Rule] = {}
        for name, spec in (data.get("intents") or {}).items():
            spec = spec or {}
            self.rules[str(name)] = _Rule(_compile_all(spec.get("strong")), _compile_all(spec.get("weak")))
        for name in [*self.intent_order, *self.rules, *(k for k in social if k != "polite"), *self.emoji.values()]:
            if name not in INTENTS:
                raise ValueError(f"keywords.yaml: unknown intent {name!r}")
        self.prior_ticket = _compile_all(data.get("prior_ticket"))
        markers = {str(k): float(v) for k, v in (data.get("report_markers") or {}).items()}
        self.report_markers = markers
        self.report_marker_re = re.compile(_alternation(markers))

        self.keyword_cat: dict[str, tuple[str, float]] = {}
        for cat, table in (data.get("categories") or {}).items():
            if cat not in CATEGORIES:
                raise ValueError(f"keywords.yaml: unknown category {cat!r}")
            for kw, w in (table or {}).items():
                kw = str(kw).lower()
                old = self.keyword_cat.get(kw)
                if old is not None and old[0] != cat:
                    raise ValueError(f"keywords.yaml: {kw!r} is in both {old[0]} and {cat}")
                self.keyword_cat[kw] = (str(cat), float(w))
        for kw in data.get("blockers") or ():
            self.keyword_cat.setdefault(str(kw).lower(), ("", 0.0))
        self.keyword_re = re.compile(_alternation(self.keyword_cat))

        addr = data.get("address") or {}
        road = _alternation(addr.get("road_suffixes", ()))
        road_nb = _not_before("".join(str(c) for c in addr.get("road_not_before", ())))
        place_nb = {str(k): str(v) for k, v in (addr.get("place_not_before") or {}).items()}
        place = "|".join(
            re.escape(w) + _not_before(place_nb.get(w, ""))
            for w in sorted({str(w) for w in addr.get("place_suffixes", ())}, key=len, reverse=True)) or "(?!)"
        self.suffix_re = re.compile(rf"(?P<place>{place})|(?P<road>(?:{road}){road_nb})")
        self.place_chain = re.compile(place)
        self.connectors = tuple(str(c) for c in addr.get("connectors", ()))
        self.intersection_tail = re.compile(_alternation(addr.get("intersection_tails", ())))
        self.stop_chars = set(str(addr.get("stop_chars", "")))
        self.stop_re = re.compile(_alternation(addr.get("stop_words", ())))
        self.generic_names = {str(w) for w in addr.get("generic_names", ())}
        self.max_name = int(addr.get("max_name_chars", 8))

        oos = self.rules.get("out_of_scope")
        self.oos = oos.strong if oos else ()
        help_rule = self.rules.get("help")
        self.help = help_rule.strong if help_rule else ()
        self.help_first = _compile_all(data.get("help_first"))


@functools.lru_cache(maxsize=8)
def _load_tables(path: str) -> _Tables:
    with open(path, encoding="utf-8") as fh:
        return _Tables(yaml.safe_load(fh) or {})


# ---------------------------------------------------------------- the parser
_ADDR_TAIL = re.compile(
    r"(?:[东西南北中]段)?"
    rf"(?:\s?{_NUM}(?:号楼(?![下上顶底面道梯])|[号號])(?:之{_NUM})?)?"
    rf"(?:\s?(?:(?:{_NUM}|[a-z])(?:栋|座|幢|期|区|单元|梯|号楼(?![下上顶底面道梯]))|\d{{1,3}}楼(?![下上顶底面道梯])))*"
    rf"(?:(?<=[栋座幢元梯楼号])\s?\d{{2,4}}(?:房|室|号房)?(?![0-9]))?"
    rf"(?:首层|[东西南北正侧后]门)?"
    rf"(?:(?<=站)(?:[a-z]\d?|\d+号?)(?:出口|口))?")


def _mostly_entities(rest_core: str, norm: str, entities, slack: int = 4) -> bool:
    leftover = rest_core
    for e in entities:
        leftover = leftover.replace(_NON_WORD.sub("", norm[e.start:e.end]), "", 1)
    return len(leftover) <= slack


class KeywordParser:
    """Fallback NLU from keyword tables. `await parse(text)` or `parse_sync(text)` -> `Parse`."""

    source = "keyword"

    def __init__(self, tables_path: str | Path | None = None):
        self.t = _load_tables(str(Path(tables_path or DEFAULT_TABLES).resolve()))
        self.danger: DangerRules = load_rules()

    async def parse(self, text: str) -> Parse:
        return self.parse_sync(text)

    def parse_sync(self, text: str) -> Parse:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        text = text[:MAX_CHARS] if len(text) > MAX_CHARS else text
        norm = fold_lower(text)
        entities = self._entities(text, norm)
        cat_hits = self._category_hits(norm)
        category, cat_conf, ranking, cat_total = self._rank(cat_hits)
        cue = self.danger.cue(norm)
        intent, intent_conf = self._intent(norm, cat_total, entities, cue is not None)
        if intent not in INTENTS:  # only possible with a broken table
            intent, intent_conf = "out_of_scope", 0.3
        return Parse(intent=intent, intent_confidence=round(intent_conf, 3), category=category,
                     category_confidence=round(cat_conf, 3), urgent=cue is not None, department=None,
                     entities=tuple(entities), source=self.source, category_ranking=ranking, urgent_cue=cue)

    # ------------------------------------------------------------ normalisation
    # ------------------------------------------------------------ categories
    def _category_hits(self, norm: str) -> list[tuple[str, float, int, str]]:
        hits = []
        for m in self.t.keyword_re.finditer(norm):
            cat, w = self.t.keyword_cat[m.group()]
            if cat:  # blockers have no category
                hits.append((cat, w, m.start(), m.group()))
        return hits

    def _rank(self, hits) -> tuple[str, float, tuple[tuple[str, float], ...], float]:
        if not hits:
            return "other", 0.0, (("other", 0.0),), 0.0
        totals: dict[str, float] = {}
        best: dict[str, float] = {}
        first: dict[str, int] = {}
        seen: set[str] = set()
        for cat, w, pos, kw in hits:
            if kw in seen:  # a keyword counts once, however often it is repeated
                continue
            seen.add(kw)
            totals[cat] = totals.get(cat, 0.0) + w
            best[cat] = max(best.get(cat, 0.0), w)
            first.setdefault(cat, pos)
        total = sum(totals.values())
        order = sorted(totals, key=lambda c: (-totals[c], -best[c], first[c]))
        denom = total + self.t.prior_mass
        ranking = tuple((c, round(totals[c] / denom, 3)) for c in order[:3])
        return order[0], totals[order[0]] / denom, ranking, total

    # ------------------------------------------------------------ intent
    def _problem_score(self, norm: str, cat_total: float, entities, urgent: bool) -> float:
        score = cat_total
        for m in self.t.report_marker_re.finditer(norm):
            score += self.t.report_markers[m.group()]
        if urgent:
            score += 3
        if any(e.entity == "address" for e in entities):
            score += 1
        return score

    def _peel(self, norm: str) -> tuple[str, str | None]:
        """Strip leading greetings/politeness and trailing thanks. Returns the rest and the social
        intent of what was stripped last ("greet" / "thanks"; None for bare politeness or nothing)."""
        t = self.t
        rest, last = norm, None
        while rest:
            for kind, pat in (("greet", t.lead_greet), ("thanks", t.lead_thanks), (None, t.lead_polite)):
                m = pat.match(rest)
                if m and m.end() > 0:
                    rest = rest[m.end():]
                    last = kind or last
                    break
            else:
                break
        m = t.trail_thanks.search(rest)
        if m and m.start() < len(rest):
            rest, last = rest[:m.start()], "thanks"
        return rest, last

    def _intent(self, norm: str, cat_total: float, entities, urgent: bool) -> tuple[str, float]:
        t = self.t
        core = _NON_WORD.sub("", norm)
        if not core:
            found = [t.emoji[ch] for ch in norm if ch in t.emoji]
            if found:
                return found[0], 0.7
            return "out_of_scope", 0.3

        # 1. a whole short social reply ("好的", "唔该", "在吗", "不对不对")
        for name in ("deny", "affirm", "greet", "thanks"):
            if t.social_full[name].match(core):
                return name, 0.85

        rest, peeled = self._peel(norm)
        rest_core = _NON_WORD.sub("", rest)
        texts = (norm, rest) if rest != norm else (norm,)

        def hit(patterns) -> bool:
            return any(p.search(x) for p in patterns for x in texts)

        problem = self._problem_score(norm, cat_total, entities, urgent)
        heavy = cat_total >= 2 or urgent or problem >= 3
        has_ticket = any(e.entity == "ticket" for e in entities)
        prior = has_ticket or hit(t.prior_ticket)

        # 2. "how do I …" questions are help even when they name a ticket action
        if hit(t.help_first):
            return "help", 0.85

        # 3. ticket-management intents: strong rules first (in priority order), then weak ones
        rules = [(name, t.rules[name]) for name in t.intent_order if name in t.rules]
        for name, rule in rules:
            if hit(rule.strong):
                return name, 0.9
        if not heavy or prior:
            for name, rule in rules:
                if hit(rule.weak):
                    return name, 0.7 if prior else 0.65

        # 4. what is left after a greeting / thanks
        if not rest_core:
            return peeled or "thanks", 0.85
        for name in ("deny", "affirm", "greet", "thanks"):
            if t.social_full[name].match(rest_core):
                # "好的谢谢" is thanks (as in the Rasa training data); "你好，好的" is affirm
                return ("thanks" if peeled == "thanks" and name == "affirm" else name), 0.85
        # a social first segment followed by a little detail ("对，中山五路12号")
        segments = [x for x in _NON_WORD.split(rest) if x]
        if len(segments) > 1 and not heavy:
            for name in ("deny", "affirm"):
                if t.social_full[name].match(segments[0]):
                    if len("".join(segments[1:])) <= 14 and not hit(t.help):
                        return name, 0.7

        # 5. a ticket number with nothing else to do -> progress; a bare phone number/plate -> detail
        if has_ticket:
            leftover = rest_core
            for e in entities:
                if e.entity == "ticket":
                    leftover = leftover.replace(_NON_WORD.sub("", norm[e.start:e.end]), "")
            if len(leftover) <= 6 or not heavy:
                return "query_progress", 0.75
        if not heavy and any(e.entity in ("phone", "plate") for e in entities) and \
                _mostly_entities(rest_core, norm, entities, slack=10):
            return "add_info", 0.6

        # 6. help
        if cat_total == 0 and not urgent and hit(t.help):
            return "help", 0.85

        # 7. report / out of scope
        if hit(t.oos) and cat_total < 3 and not urgent:
            return "out_of_scope", 0.8
        if problem >= 2:
            return "report", min(0.95, 0.55 + 0.06 * problem)
        if problem >= 1:
            return "report", 0.5
        if entities and _mostly_entities(rest_core, norm, entities):
            # a bare time or address fragment: most likely a detail the user is adding
            return "add_info", 0.45
        if len(rest_core) >= 12:
            # a long message about something we have no word for: losing a report is worse than
            # starting one by mistake
            return "report", 0.4
        if peeled:
            return peeled, 0.6
        return "out_of_scope", 0.4

    # ------------------------------------------------------------ entities
    def _entities(self, text: str, norm: str) -> list[Entity]:
        taken: list[tuple[int, int]] = []
        found: list[Entity] = []

        def free(s: int, e: int) -> bool:
            return all(e <= a or s >= b for a, b in taken)

        def add(kind: str, s: int, e: int) -> None:
            # trim whitespace at the edges so the value reads cleanly
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e and free(s, e):
                taken.append((s, e))
                found.append(Entity(kind, text[s:e], s, e))

        for m in TICKET.finditer(norm):
            add("ticket", m.start(), m.end())
        for pat in (_MOBILE, _LANDLINE):
            for m in pat.finditer(norm):
                add("phone", m.start(), m.end())
        for m in _LOCAL_NUMBER.finditer(norm):
            add("phone", m.start(1), m.end(1))
        for m in _PLATE.finditer(norm):
            tail = m.group()[2:]
            if any(c.isdigit() for c in tail):
                add("plate", m.start(), m.end())
        for s, e in self._addresses(norm, taken):
            add("address", s, e)
        for s, e in self._times(norm):
            add("time", s, e)
        found.sort(key=lambda x: x.start)
        return found

    # addresses ------------------------------------------------------------
    def _name_left(self, norm: str, pos: int, floor: int) -> int | None:
        """Start of the place name that ends at `pos`, or None if there is no plausible name."""
        t = self.t
        i = pos
        while i > floor and pos - i < t.max_name:
            ch = norm[i - 1]
            if ch in t.stop_chars or not _NAME_CHAR.match(ch):
                break
            i -= 1
        # stop words ending inside the candidate (they may start a little before it: "我家|东风东路")
        ctx_start = max(floor, i - 2)
        for k in range(ctx_start, pos):  # every stop word, overlapping ones included
            m = t.stop_re.match(norm, k, pos)
            if m and m.end() > i:
                i = m.end()
        # a problem keyword is not part of a name ("…食物中毒送|医院")
        for m in t.keyword_re.finditer(norm, i, pos):
            if len(m.group()) >= 2 and t.keyword_cat[m.group()][1] >= 2:
                i = max(i, m.end())
        # nor with the end of an earlier road ("…路|十字路口")
        while i < pos and norm[i] in "路街巷":
            i += 1
        # a name starts with a character, not a digit, and not with a connector right after a road
        while i < pos and (norm[i].isdigit() or norm[i] in "·-"):
            i += 1
        if i == floor and floor > 0 and i < pos and norm[i] in t.connectors:
            i += 1
        name = norm[i:pos]
        if len(name) < 2 or name in t.generic_names:
            return None
        return i

    def _addresses(self, norm: str, taken) -> list[tuple[int, int]]:
        t = self.t
        spans: list[list] = []  # [start, end, kind]
        last_end = 0
        for m in t.suffix_re.finditer(norm):
            if m.start() < last_end:
                continue
            if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                continue
            floor = max([last_end] + [b for a, b in taken if b <= m.start()])
            start = self._name_left(norm, m.start(), floor)
            if start is None:
                continue
            end = m.end()
            while True:  # "XX中心小学", "XX花园3栋"
                tail = _ADDR_TAIL.match(norm, end)
                if tail and tail.end() > end:
                    end = tail.end()
                nxt = t.place_chain.match(norm, end)
                if nxt and nxt.end() > end:
                    end = nxt.end()
                    continue
                break
            kind = "road" if m.group("road") else "place"
            spans.append([start, end, kind])
            last_end = end
        # merge: road + connector + road (+ 交叉口) and directly adjacent parts
        merged: list[list] = []
        for s in spans:
            if merged:
                prev = merged[-1]
                gap = norm[prev[1]:s[0]]
                roads = prev[2] in ("road", "crossing") and s[2] == "road"
                if gap == "" or gap.isspace() or (roads and gap in t.connectors):
                    prev[1] = s[1]
                    if roads:  # "X路和Y路", "X路Y路": a crossing
                        prev[2] = "crossing"
                    continue
            merged.append(list(s))
        out = []
        for s, e, kind in merged:
            if kind in ("crossing", "road"):
                m = t.intersection_tail.match(norm, e)
                if m and (kind == "crossing" or m.group() != "路口"):
                    e = m.end()
            out.append((s, e))
        return out

    # times ------------------------------------------------------------
    def _times(self, norm: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for pat in (_DATE, _DAY_WORD, _DAY_PART, _DURATION):
            for m in pat.finditer(norm):
                spans.append((m.start(), m.end()))
        for m in _CLOCK.finditer(norm):
            s, e = m.start(), m.end()
            g = m.group()
            if not g[0].isdigit():
                # "一点" is usually "a little": accept Chinese-numeral clock times only after a day
                # word or with 钟/半/多/左右/整
                after_day = any(b == s for _, b in spans)
                if not after_day and not re.search(r"[钟半多左右整分刻]", g):
                    continue
            spans.append((s, e))
        # drop spans inside others, then merge adjacent ones ("今天早上" + "10点")
        spans.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        kept: list[list[int]] = []
        for s, e in spans:
            if kept and s < kept[-1][1]:
                if e > kept[-1][1]:
                    kept[-1][1] = e
                continue
            if kept and s == kept[-1][1]:
                kept[-1][1] = e
                continue
            kept.append([s, e])
        return [(s, e) for s, e in kept]


__all__ = ["KeywordParser", "DEFAULT_TABLES"]
