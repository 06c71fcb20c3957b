"""Place vocabulary from the address library, for the NLU: a jieba user dictionary (so 东湖新村 or
农讲所地铁站 segment as one word) and a Rasa lookup table for the address entity.

Only names that stand for a place are kept: roads, compounds, landmarks and their aliases. House
numbers and building labels are left to the NLU's regexes (中山五路12号 = a road word + a number).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from bot.places.matcher import AddressRecord

_NUMBERED = re.compile(r"\d|[一二三四五六七八九十]+[号栋座幢]")
# High enough that jieba keeps the name whole against its own dictionary's splits.
JIEBA_FREQUENCY = 2000


def place_words(records: Iterable[AddressRecord]) -> list[str]:
    words: set[str] = set()
    for record in records:
        aliases = record.aliases.split(";") if isinstance(record.aliases, str) else record.aliases
        if record.kind in ("compound", "landmark"):
            words.update(n for n in (record.name, *aliases) if n and not _NUMBERED.search(n))
        words.update(r for r in record.road.split(";") if r)
    return sorted(w for w in words if 2 <= len(w) <= 20)


def write_jieba_dictionary(words: list[str], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w} {JIEBA_FREQUENCY} ns\n" for w in words), encoding="utf-8")


def write_lookup_table(words: list[str], path: Path, name: str = "address") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"    - {w}\n" for w in words)
    path.write_text("# Generated from the address library by `gridsec district vocab`; do not edit.\n"
                    f'version: "3.1"\nnlu:\n- lookup: {name}\n  examples: |\n{body}', encoding="utf-8")
