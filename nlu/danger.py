"""Danger to people or property now: the one rule set behind the urgent flag.

The Rasa pipeline's UrgencyDetector and the keyword fallback both ask `DangerRules.cue(text)`, so a
gas leak is urgent whichever NLU answers. The rules are data (`nlu/danger.yaml`); this module holds
the checks that keep a mention from counting: a negator before it in its clause, a hypothetical
without an imminent word, the danger being over, an alarming-looking context. Some cues are weak
(`weak_cues`: they also turn up where nobody is in danger): whoever has a second opinion (the Rasa
UrgencyDetector's classifier) may overrule those, and only those; `needs_classifier` cues count only
with that second opinion, never in the keyword fallback. Standard library and
PyYAML only: it runs in the bot's venv and in Rasa's.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.normalize import fold_lower

RULES_PATH = Path(__file__).with_name("danger.yaml")

CLAUSE_BREAK = re.compile(r"[,，。.!！?？;；:：、\n\r\t~…]| {1,}")
# a clause that is only "no" ("煤气味？没有啊"): the danger just mentioned is denied
_BARE_NO = re.compile(r"^(?:没有?|冇|无|不是|唔系)(?:啦|啊|呀|了|喇|嘅|的|哦)*$")


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted({str(w) for w in words}, key=len, reverse=True)) or "(?!)"


_CJK = r"\u3400-\u9fff\U00020000-\U0002ffff"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")


def unspaced(norm: str) -> str:
    """`norm` without the spaces of someone who writes a space between every word or two ("电梯 停 了，
    我 和 一个 奶奶 在 里面"): there they break no clause. Spaces that part phrases stay."""
    gaps = len(_SPACE_IN_CJK.findall(norm))
    cjk = len(re.findall(rf"[{_CJK}]", norm))
    return _SPACE_IN_CJK.sub("", norm) if gaps >= 3 and cjk <= 3 * (gaps + 1) else norm


@dataclass(frozen=True)
class DangerRules:
    patterns: tuple[re.Pattern, ...]
    weak: tuple[re.Pattern, ...]
    needs_classifier: tuple[re.Pattern, ...]
    not_urgent: tuple[re.Pattern, ...]
    negators: tuple[str, ...]
    neg_exclusions: tuple[str, ...]
    hypothetical: tuple[str, ...]
    hypothetical_adjacent: tuple[str, ...]
    imminent: tuple[str, ...]
    past: tuple[str, ...]
    past_suffix: tuple[str, ...]
    over: re.Pattern
    over_next_clause: re.Pattern
    tempered: tuple[str, ...]

    @classmethod
    def from_data(cls, data: dict) -> "DangerRules":
        def words(key: str) -> tuple[str, ...]:
            return tuple(str(w) for w in data.get(key) or ())

        over = _alternation(words("over"))
        return cls(
            patterns=tuple(re.compile(str(p)) for p in data.get("patterns") or ()),
            weak=tuple(re.compile(str(p)) for p in data.get("weak_cues") or ()),
            needs_classifier=tuple(re.compile(str(p)) for p in data.get("needs_classifier") or ()),
            not_urgent=tuple(re.compile(str(p)) for p in data.get("not_urgent") or ()),
            negators=words("negators"),
            neg_exclusions=tuple(sorted(words("negation_exclusions"), key=len, reverse=True)),
            hypothetical=words("hypothetical"), hypothetical_adjacent=words("hypothetical_adjacent"),
            imminent=words("imminent"), past=words("past"), past_suffix=words("past_suffix"),
            over=re.compile(over), tempered=words("tempered"),
            over_next_clause=re.compile(rf"^.{{0,3}}?(?:现在|而家|宜家|已经|目前|依家|后来|今早|今朝|今天|当然是|只是)+.{{0,2}}?(?:{over})"))

    def cue(self, norm: str, classifier: bool = False) -> str | None:
        """The words that make the message urgent, or None; `norm` is `fold_lower(text)`. A strong cue
        is preferred to a weak one found earlier; `needs_classifier` cues only when `classifier`."""
        norm = unspaced(norm)
        weak = None
        for pattern in self.patterns:
            for m in pattern.finditer(norm):
                found = m.group(0)
                if not classifier and any(w.search(found) for w in self.needs_classifier):
                    continue
                if self._counts(norm, m.start(), m.end()):
                    if not self.is_weak(found):
                        return found
                    weak = weak or found
        return weak

    def is_tempered(self, norm: str) -> bool:
        """Whether the message speaks of worry, relief or a near miss: then no classifier alone may
        call it urgent, only a cue. `norm` as for `cue`."""
        norm = unspaced(norm)
        return any(w in norm for w in self.tempered)

    def is_weak(self, cue: str) -> bool:
        """Whether a classifier may overrule this cue (weak_cues and needs_classifier)."""
        return any(w.search(cue) for w in self.weak + self.needs_classifier)

    def _counts(self, norm: str, start: int, end: int) -> bool:
        for context in self.not_urgent:
            for c in context.finditer(norm, max(0, start - 8), min(len(norm), end + 8)):
                if c.start() < end and c.end() > start:
                    return False
        pre = norm[max(0, start - 6):start]
        breaks = list(CLAUSE_BREAK.finditer(pre))
        if breaks:
            pre = pre[breaks[-1].end():]
        cleaned = pre
        for w in self.neg_exclusions:
            cleaned = cleaned.replace(w, "#" * len(w))
        if any(n in cleaned for n in self.negators):
            return False
        hypothetical = any(h in cleaned for h in self.hypothetical) or any(
            cleaned.endswith(h) for h in self.hypothetical_adjacent)
        if hypothetical and not any(i in pre for i in self.imminent):
            return False
        sentence = norm[max(0, start - 24):start]
        sentence = re.split(r"[。.!！?？;；\n]", sentence)[-1]
        if any(p in sentence for p in self.past) or any(norm.startswith(p, end) for p in self.past_suffix):
            return False
        brk = CLAUSE_BREAK.search(norm, end)
        clause_end = brk.start() if brk else len(norm)
        if self.over.search(norm[end:min(clause_end, end + 8)]):
            return False
        if brk:
            nxt = CLAUSE_BREAK.search(norm, brk.end())
            next_clause = norm[brk.end():nxt.start() if nxt else len(norm)]
            if len(next_clause) <= 10 and (self.over_next_clause.search(next_clause) or _BARE_NO.match(next_clause)):
                return False
        return True


@functools.lru_cache(maxsize=4)
def load_rules(path: str = str(RULES_PATH)) -> DangerRules:
    with open(path, encoding="utf-8") as fh:
        return DangerRules.from_data(yaml.safe_load(fh) or {})


def danger_cue(text: str, classifier: bool = False) -> str | None:
    """The cue in `text` as sent (any script, any width, spaced between words), by the shared rules;
    `classifier`: the caller will overrule weak cues (DangerRules.cue)."""
    return load_rules().cue(fold_lower(text), classifier)


def is_tempered(text: str) -> bool:
    return load_rules().is_tempered(fold_lower(text))


def is_weak_cue(cue: str) -> bool:
    return load_rules().is_weak(cue)
