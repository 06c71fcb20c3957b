"""Text → place: which entry of the unified address library a resident's message names.

Built once from the address records into in-memory indexes: every normalized name and alias
(longest match wins while scanning the message), roads with their sorted house numbers,
compounds with their buildings, road pairs with their crossings, and a character-bigram index
that proposes names for typos, checked by edit distance. A lookup costs a few dict probes per
character of the message, independent of the size of the library.

The decision favours asking over guessing: a message that lands on the wrong grid waits until
somebody notices, while a `confirm` costs the resident one tap.
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from math import cos, radians
from pathlib import Path
from typing import Protocol

from bot.places.normalize import normalize, strip_position

# Scores: 1.0 is an exact name; MATCHED needs a clear winner; below CONFIRM we rather ask.
MATCHED = 0.85
CONFIRM = 0.5
MARGIN = 0.1  # a rival in another grid this close to the best forces a confirm

_ROAD, _FAMILY, _PLACE, _OUT_ADMIN, _OUT_PLACE, _HOME = range(6)
_HOME_NAMES = ("越秀区", "越秀", "广州市", "广州")
_STOP_BIGRAM = 3000  # a bigram in more names than this tells the typo index nothing
_COMMON_ENDING = 8  # an ending shared by this many names (公园, 新村, 路) is no part of a name's stem
_CONNECTOR = re.compile(r"和|与|跟|及|同|交|、|至|到")
_CROSSING_WORD = re.compile(r"十字路口|交叉路口|交叉口|交界处|交界|交汇处|交汇|路口|口")
_NUMBER = re.compile(r"(\d{1,5})(?:号|栋)?")
_LABEL = re.compile(r"第?(\d{1,3}|[A-Z])(?:栋|号)|([A-Z])(?![A-Z0-9])")
_EXIT = re.compile(r"([A-Z]\d?)(?:出入口|出口|口)")
_FAMILY_TAIL = re.compile(r"(?:[东西南北中]|\d+)路$")
_ROAD_SHAPED = re.compile(r"[\u4e00-\u9fff]{2,4}(?:路|街|大道|大街)\d+号")
_MAX_TEXT = 4096  # a Telegram message; also bounds the alignment field of the typo votes


class AddressRecord(Protocol):
    """What the matcher reads from an address; `bot.district.files.AddressRecord` fits."""

    address_id: str
    kind: str  # road_number | compound | building | landmark | intersection
    name: str
    road: str  # an intersection's two roads as "A;B"
    number: int | None
    aliases: Sequence[str] | str  # a tuple, or the file's ";"-joined text
    lat: float
    lon: float
    grid_id: str


@dataclass(frozen=True)
class Candidate:
    address_id: str
    name: str
    kind: str
    grid_id: str
    lat: float
    lon: float
    score: float
    how: str  # exact | fuzzy | nearest_number | road_family | crossing | near_crossing …


@dataclass(frozen=True)
class PlaceDecision:
    status: str  # matched | confirm | outside | ask
    best: Candidate | None
    candidates: tuple[Candidate, ...]  # at most 3, best first
    reason: str
    position: str | None = None  # 门口, 对面 … written after the place
    detail: str | None = None  # a metro exit such as "C出口"

    @property
    def grid_id(self) -> str | None:
        return self.best.grid_id if self.status == "matched" and self.best else None


@dataclass
class _Mention:
    start: int
    end: int
    entries: tuple[int, ...]  # (target << 3) | type
    quality: float = 1.0  # < 1 for a name found by edit distance
    name: str = ""  # the library's spelling, for a typo reading
    edits: int = 0


@dataclass
class _Reading:
    """One place phrase of the message and the library entries it may mean."""

    start: int
    end: int
    hits: list[tuple[int, float, str]] = field(default_factory=list)  # (record, score, how)
    note: str = ""
    position: str | None = None
    detail: str | None = None


def _split(value: Sequence[str] | str | None) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        value = value.split(";")
    return tuple(v.strip() for v in value if v and v.strip())


def osa_search(pattern: str, text: str) -> tuple[int, int]:
    """(distance, end) of the substring of `text` closest to `pattern` by optimal string
    alignment (edit distance counting a swap of neighbours as one edit). On a tie the longer
    stretch wins (中山5陆 over 中山5 for 中山5路) unless it ends on a digit, which starts a
    house number (解放南33 is 解放南(路)33)."""
    m = len(pattern)
    prev2: list[int] | None = None
    prev = list(range(m + 1))
    best, best_end = prev[m], 0
    for j, tc in enumerate(text, 1):
        cur = [0] * (m + 1)
        for i in range(1, m + 1):
            pc = pattern[i - 1]
            v = min(prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + (pc != tc))
            if prev2 is not None and i > 1 and pc == text[j - 2] and pattern[i - 2] == tc:
                v = min(v, prev2[i - 2] + 1)
            cur[i] = v
        if cur[m] < best or (cur[m] == best and not tc.isdigit()):
            best, best_end = cur[m], j
        prev2, prev = prev, cur
    return best, best_end


class PlaceMatcher:
    """Indexes of one district's address library; `match` turns a message into a decision."""

    def __init__(self, records: Iterable[AddressRecord], outside_names: Iterable[str] | None = None):
        self._ids: list[str] = []
        self._names: list[str] = []
        self._kinds: list[str] = []
        self._grid_of = array("I")
        self._grids: list[str] = []
        self._lat = array("d")
        self._lon = array("d")
        self._surfaces: dict[str, tuple[int, ...]] = {}
        self._road_id: dict[str, int] = {}  # normalized road name → road id
        self._road_names: list[str] = []
        self._road_keys: list[str] = []
        self._road_numbers: list[array] = []
        self._road_records: list[array] = []
        self._families: list[tuple[int, ...]] = []
        self._buildings: dict[int, dict[str, int]] = {}
        self._crossings: dict[tuple[int, int], list[int]] = {}
        self._short_aliases: set[str] = set()
        self._build(records)
        self._add_outside(outside_names)
        self._lengths = sorted({len(s) for s in self._surfaces}, reverse=True)
        self._build_bigrams()

    @classmethod
    def from_district(cls, path: str | Path) -> PlaceMatcher:
        """Build from a district directory holding addresses.csv."""
        from bot.district.files import load_addresses
        return cls(load_addresses(path))

    def __len__(self) -> int:
        return len(self._ids)

    # ------------------------------------------------------------------------ building

    def _add(self, key: str, kind: int, target: int) -> None:
        code = (target << 3) | kind
        old = self._surfaces.get(key)
        if old is None:
            self._surfaces[key] = (code,)
        elif code not in old:
            self._surfaces[key] = old + (code,)

    def _road(self, raw: str) -> int:
        key = normalize(raw)
        rid = self._road_id.get(key)
        if rid is None:
            rid = self._road_id[key] = len(self._road_names)
            self._road_names.append(raw)
            self._road_keys.append(key)
            self._road_numbers.append(array("I"))
            self._road_records.append(array("I"))
        return rid

    def _build(self, records: Iterable[AddressRecord]) -> None:
        grid_index: dict[str, int] = {}
        compounds: dict[str, int] = {}
        buildings: list[tuple[int, tuple[str, ...]]] = []
        crossings: list[tuple[int, tuple[str, ...]]] = []
        stations: list[tuple[int, str]] = []
        for rec in records:
            rid = len(self._ids)
            self._ids.append(rec.address_id)
            self._names.append(rec.name)
            self._kinds.append(rec.kind)
            g = grid_index.get(rec.grid_id)
            if g is None:
                g = grid_index[rec.grid_id] = len(self._grids)
                self._grids.append(rec.grid_id)
            self._grid_of.append(g)
            self._lat.append(rec.lat)
            self._lon.append(rec.lon)
            spellings = (rec.name,) + _split(rec.aliases)
            if rec.kind == "road_number" and rec.number:
                road = self._road(rec.road)
                self._road_numbers[road].append(int(rec.number))
                self._road_records[road].append(rid)
                canonical = f"{normalize(rec.road)}{int(rec.number)}号"
                for s in spellings:  # spellings that are not just road + number stay names
                    key = normalize(s)
                    if key != canonical:
                        self._add(key, _PLACE, rid)
            elif rec.kind == "building":
                buildings.append((rid, spellings))
            elif rec.kind == "intersection":
                crossings.append((rid, spellings))
                for road in _split(rec.road):
                    self._road(road)
            else:
                for s in spellings:
                    self._add(normalize(s), _PLACE, rid)
                self._short_aliases.update(k for k in map(normalize, spellings[1:]) if len(k) <= 2)
                if rec.kind == "compound":
                    compounds[normalize(rec.name)] = rid
                elif rec.kind == "landmark" and rec.name.endswith("地铁站"):
                    stations.append((rid, normalize(rec.name)[:-3]))
        self._index_roads()
        for rid, spellings in buildings:
            for s in spellings:
                key = normalize(s)
                m = re.fullmatch(r"(.+?)(\d+|[A-Z])栋", key)
                if m and m.group(1) in compounds:
                    self._buildings.setdefault(compounds[m.group(1)], {})[m.group(2)] = rid
                else:
                    self._add(key, _PLACE, rid)
        for rid, spellings in crossings:
            for s in spellings:
                key = normalize(s)
                self._add(key, _PLACE, rid)
                roads = self._roads_in(key)
                if len(roads) == 2:
                    self._crossings.setdefault((roads[0], roads[1]), []).append(rid)
        self._partners: dict[int, list[tuple[int, list[int]]]] = {}
        for (x, y), rids in self._crossings.items():
            self._partners.setdefault(x, []).append((y, rids))
            self._partners.setdefault(y, []).append((x, rids))
        for rid, base in stations:  # how residents shorten 农讲所地铁站
            for key in (base + "地铁", "地铁" + base + "站", base + "站", base + "地铁口"):
                self._surfaces.setdefault(key, ((rid << 3) | _PLACE,))

    def _roads_in(self, key: str) -> list[int]:
        """Distinct roads named in a crossing's spelling, e.g. 沿江中路与北京路交叉口."""
        lengths = sorted({len(k) for k in self._road_id}, reverse=True)
        roads, i = set(), 0
        while i < len(key):
            n = next((n for n in lengths if key[i:i + n] in self._road_id), 0)
            if n:
                roads.add(self._road_id[key[i:i + n]])
            i += n or 1
        return sorted(roads)

    def _index_roads(self) -> None:
        """Sort house numbers per road, and let 中山路 / 东风路 stand for their numbered or
        directional segments (中山一路 … 中山六路, 东风西/中/东路)."""
        families: dict[str, list[int]] = {}
        for key, road in self._road_id.items():
            order = sorted(range(len(self._road_numbers[road])),
                           key=self._road_numbers[road].__getitem__)
            self._road_numbers[road] = array("I", (self._road_numbers[road][i] for i in order))
            self._road_records[road] = array("I", (self._road_records[road][i] for i in order))
            self._add(key, _ROAD, road)
            family = _FAMILY_TAIL.sub("路", key)
            if family != key and len(family) >= 3:
                families.setdefault(family, []).append(road)
        for key, roads in families.items():
            if key not in self._road_id:
                self._add(key, _FAMILY, len(self._families))
                self._families.append(tuple(roads))

    def _add_outside(self, names: Iterable[str] | None) -> None:
        if names is None:
            names = resources.files("bot.places").joinpath("outside.txt").read_text("utf-8").splitlines()
        kind = _OUT_ADMIN
        for line in names:
            line = line.strip()
            if line in ("[admin]", "[place]"):
                kind = _OUT_ADMIN if line == "[admin]" else _OUT_PLACE
            elif line and not line.startswith("#"):
                self._surfaces.setdefault(normalize(line), (kind,))
        for name in _HOME_NAMES:
            self._surfaces.setdefault(name, (_HOME,))

    def _build_bigrams(self) -> None:
        """Typo indexes over names of 3+ characters: bigram → (name, offset) for edits, and
        sorted characters → names for swapped neighbours, which break every bigram of a short
        name (东新湖村 shares none with 东湖新村)."""
        postings: dict[str, array] = {}
        self._fuzzy: list[tuple[str, tuple[int, ...]]] = []
        self._anagrams: dict[str, list[int]] = {}
        for key, entries in self._surfaces.items():
            if 3 <= len(key) <= 31 and entries[0] & 7 != _HOME:
                sid = len(self._fuzzy)
                self._fuzzy.append((key, entries))
                self._anagrams.setdefault("".join(sorted(key)), []).append(sid)
                for off in range(len(key) - 1) if len(key) >= 4 else ():
                    postings.setdefault(key[off:off + 2], array("I")).append((sid << 5) | off)
        self._bigrams = {bg: p for bg, p in postings.items() if len(p) <= _STOP_BIGRAM}
        # The part of a name before a common ending (人民|公园, 东湖|新村): a typo reading that breaks
        # a short one is only worth a question, or 派人去公园 would be read as 人民公园.
        ends: dict[str, int] = {}
        for key, _ in self._fuzzy:
            for n in range(1, min(4, len(key) - 1) + 1):
                ends[key[-n:]] = ends.get(key[-n:], 0) + 1
        self._short_stems: dict[int, str] = {}
        for sid, (key, _) in enumerate(self._fuzzy):
            n = next((n for n in range(min(4, len(key) - 1), 0, -1) if ends[key[-n:]] >= _COMMON_ENDING), 0)
            if len(key) - n <= 2:
                self._short_stems[sid] = key[:len(key) - n]
        self._anagram_lengths = sorted({len(k) for k in self._anagrams if len(k) <= 8})
        self._need = array("B", (max(1, len(key) - 4 - sum(key[o:o + 2] not in self._bigrams
                                                           for o in range(len(key) - 1)))
                                 for key, _ in self._fuzzy))

    # ------------------------------------------------------------------------ matching

    def match(self, text: str, entity: str | None = None) -> PlaceDecision:
        """Decide which place `text` names. `entity` is the NLU's address span, if any: places
        overlapping it are preferred; if it is not part of the text it is tried on its own first."""
        t = normalize(text or "")[:_MAX_TEXT]
        e = normalize(entity) if entity else ""
        focus = None
        if e:
            at = t.find(e)
            if at >= 0:
                focus = (at, at + len(e))
            else:
                decision = self._decide(e, None)
                if decision.status != "ask" or not t:
                    return decision
        return self._decide(t, focus)

    def _scan(self, t: str) -> list[_Mention]:
        """Known names in `t`, leftmost-longest, not overlapping."""
        mentions, i, n = [], 0, len(t)
        while i < n:
            for length in self._lengths:
                if i + length > n:
                    continue
                key = t[i:i + length]
                entries = self._surfaces.get(key)
                if entries and (key not in self._short_aliases or self._stands_alone(t, i + length)):
                    mentions.append(_Mention(i, i + length, entries))
                    i += length
                    break
            else:
                i += 1
        return mentions

    @staticmethod
    def _stands_alone(t: str, end: int) -> bool:
        """Two-character aliases (省医, 执信, 市1) hide in ordinary words (节省医疗, 城市1直):
        take them only at the end of the text or before a position word."""
        return end == len(t) or strip_position(t[end:])[1] is not None

    def _typos(self, t: str) -> list[_Mention]:
        """Names within one edit (two for 8+ characters) of a stretch of `t`: 4+ characters
        through shared bigrams, 3+ characters when two neighbours are swapped."""
        found: dict[tuple[int, int], _Mention] = {}

        def add(sid: int, begin: int, end: int, edits: int, quality: float) -> None:
            m = found.get((begin, end))
            if m is None or quality > m.quality + 0.05:
                name, entries = self._fuzzy[sid]
                found[(begin, end)] = _Mention(begin, end, entries, quality, name, edits)
            elif quality > m.quality - 0.05:  # as good a reading: keep both, let the resident choose
                m.entries += tuple(c for c in self._fuzzy[sid][1] if c not in m.entries)

        for n in self._anagram_lengths:
            for i in range(len(t) - n + 1):
                window = t[i:i + n]
                for sid in self._anagrams.get("".join(sorted(window)), ()):
                    if self._fuzzy[sid][0] != window and osa_search(self._fuzzy[sid][0], window)[0] == 1:
                        add(sid, i, i + n, 1, 1.0 - 0.4 / n)
        votes: dict[int, int] = {}
        for p in range(len(t) - 1):
            for code in self._bigrams.get(t[p:p + 2], ()):
                key = ((code >> 5) << 13) | (p - (code & 31) + 64)
                votes[key] = votes.get(key, 0) + 1
        best: dict[int, tuple[int, int]] = {}  # name → (support, alignment)
        for key, v in votes.items():
            sid = key >> 13
            v += votes.get(key - 1, 0) + votes.get(key + 1, 0)  # an insertion shifts the rest
            if v >= self._need[sid] and v > best.get(sid, (0, 0))[0]:
                best[sid] = (v, key)
        for sid, (_, key) in best.items():
            name = self._fuzzy[sid][0]
            start = max(0, (key & 8191) - 64 - 1)
            window = t[start:start + len(name) + 2]
            d, end = osa_search(name, window)
            if 0 < d <= (2 if len(name) >= 8 else 1):
                begin = start + end - osa_search(name[::-1], window[:end][::-1])[1]
                quality = 1.0 - 0.6 * d / len(name)
                if self._short_stems.get(sid, "") not in t[begin:start + end]:
                    quality = min(quality, MATCHED - 0.01)  # only worth a question
                add(sid, begin, start + end, d, quality)
        return list(found.values())

    def _read(self, t: str, mentions: list[_Mention]) -> tuple[list[_Reading], list[_Mention]]:
        """Turn mentions into readings, using what follows each name: a house number, a building,
        a second road (a crossing), a metro exit. Returns the readings and outside/home mentions."""
        readings: list[_Reading] = []
        others: list[_Mention] = []
        k = 0
        while k < len(mentions):
            m = mentions[k]
            k += 1
            roads = self._roads_of(m)
            places = [c >> 3 for c in m.entries if c & 7 == _PLACE]
            if not roads and not places:
                others.append(m)
                continue
            r = _Reading(m.start, m.end)
            if roads:
                k = self._read_roads(t, r, m, roads, mentions, k, readings[-1].end if readings else 0)
            for rid in places:
                label = self._label(t, m.end) if self._kinds[rid] == "compound" else None
                if label:
                    building = self._buildings.get(rid, {}).get(label.group(1) or label.group(2))
                    r.end = max(r.end, label.end())
                    if building is not None:
                        r.hits.append((building, m.quality, "building"))
                    else:
                        r.hits.append((rid, 0.75 * m.quality, "compound_without_building"))
                        r.note = f"no building {label.group(1) or label.group(2)} in {self._names[rid]}"
                else:
                    r.hits.append((rid, m.quality, "exact"))
                if self._kinds[rid] == "landmark" and (ex := _EXIT.match(t, m.end)):
                    r.detail, r.end = ex.group(1) + "出口", max(r.end, ex.end())
            if m.quality < 1:
                r.hits = [(rid, score, "fuzzy") for rid, score, _ in r.hits]
            r.position = strip_position(t[r.end:])[1]
            readings.append(r)
        return readings, others

    @staticmethod
    def _label(t: str, end: int) -> re.Match[str] | None:
        """The building after a compound name, past one stray character (锦城广场场B栋)."""
        label = _LABEL.match(t, end)
        if label is None and end < len(t) and "\u4e00" <= t[end] <= "\u9fff":
            label = _LABEL.match(t, end + 1)
        return label

    def _roads_of(self, m: _Mention) -> tuple[tuple[int, ...], bool]:
        roads: list[int] = []
        family = False
        for c in m.entries:
            if c & 7 == _ROAD:
                roads.append(c >> 3)
            elif c & 7 == _FAMILY:
                roads.extend(self._families[c >> 3])
                family = True
        return (tuple(roads), family) if roads else ()

    def _read_roads(self, t: str, r: _Reading, m: _Mention, roads, mentions: list[_Mention],
                    k: int, free: int) -> int:
        """What a road leads to: a second road (a crossing), a house number, or nothing.
        Returns the index of the next unread mention."""
        after = m.end + (m.end < len(t) and t[m.end] == t[m.end - 1])  # 东华东路路200号
        conn = _CONNECTOR.match(t, after)
        at = conn.end() if conn else after
        nxt = mentions[k] if k < len(mentions) else None
        if nxt is not None and self._roads_of(nxt) and (nxt.start == at or conn and nxt.start == at + 1):
            word = _CROSSING_WORD.match(t, nxt.end)
            r.end = word.end() if word else nxt.end
            self._read_crossing(r, roads, self._roads_of(nxt), min(m.quality, nxt.quality))
            return k + 1
        if number := _NUMBER.match(t, after):
            r.end = number.end()
            self._read_number(r, roads, int(number.group(1)), m.quality)
            return k
        # A crossing whose other road is mistyped (中山五路还德路口, 因民路一德路十字路口): only the
        # few roads that cross this one are worth an edit-distance look.
        limit = nxt.start if nxt else len(t)
        if conn or _CROSSING_WORD.search(t, at, min(at + 8, limit)):
            hits, used = self._partner(t[at:limit], roads[0], forward=True)
            if hits:
                word = _CROSSING_WORD.match(t, at + used)
                r.end = word.end() if word else at + used
        else:
            hits = []
        back = m.start - (m.start > 0 and _CONNECTOR.fullmatch(t[m.start - 1]) is not None)
        if not hits and (back < m.start or _CROSSING_WORD.match(t, after)) and back - free >= 2:
            hits, used = self._partner(t[free:back], roads[0], forward=False)
            r.start = back - used if hits else r.start
        if hits:
            r.hits.extend((rid, 0.85 * m.quality, "crossing") for rid in hits)
            return k
        self._read_road(r, roads, m.quality)
        return k

    def _partner(self, text: str, roads: tuple[int, ...], forward: bool) -> tuple[list[int], int]:
        """Crossings of `roads` whose other road is within one edit of the start (or the end)
        of `text`, and how many characters that road took."""
        hits: list[int] = []
        used = 0
        for x in roads:
            for y, rids in self._partners.get(x, ()):
                name = self._road_keys[y]
                if forward:
                    d, end = osa_search(name, text[:len(name) + 1])
                else:
                    d, end = osa_search(name[::-1], text[::-1][:len(name) + 1])
                if d <= 1 and end >= len(name) - 1:
                    hits.extend(rid for rid in rids if rid not in hits)
                    used = max(used, end)
        return hits, used

    def _read_crossing(self, r: _Reading, a, b, quality: float) -> None:
        (roads_a, fam_a), (roads_b, fam_b) = a, b
        hits = [rid for x in roads_a for y in roads_b
                for rid in self._crossings.get((min(x, y), max(x, y)), ())]
        if hits:
            score = quality * (1.0 if not (fam_a or fam_b) else 0.95 if len(set(hits)) == 1 else 0.85)
            r.hits.extend((rid, score, "crossing") for rid in dict.fromkeys(hits))
        elif len(roads_a) == 1 and len(roads_b) == 1:
            near = self._near_crossing(roads_a[0], roads_b[0])
            if near is not None:
                r.hits.append((near, 0.7 * quality, "near_crossing"))
                r.note = "crossing not in the library; nearest house number"
        if not r.hits:
            r.note = "these roads do not meet in the district"

    def _near_crossing(self, a: int, b: int) -> int | None:
        """House number of road `a` closest to road `b`, if the two come within ~80 m."""
        kx = cos(radians(self._lat[self._road_records[a][0]])) if self._road_records[a] else 1.0
        best, best_d = None, (80 / 111_000) ** 2
        pts_b = [(self._lat[i], self._lon[i] * kx) for i in self._road_records[b][::2]]
        for i in self._road_records[a][::2]:
            la, lo = self._lat[i], self._lon[i] * kx
            d = min(((la - y) ** 2 + (lo - x) ** 2 for y, x in pts_b), default=best_d)
            if d < best_d:
                best, best_d = i, d
        return best

    def _read_number(self, r: _Reading, roads, number: int, quality: float) -> None:
        roads, family = roads
        base = quality * (0.8 if family and len(roads) > 1 else 1.0)
        exact = []
        for road in roads:
            nums = self._road_numbers[road]
            i = bisect_left(nums, number)
            if i < len(nums) and nums[i] == number:
                exact.append(self._road_records[road][i])
        if exact:
            r.hits.extend((rid, base, "number" if not family else "road_family") for rid in exact)
            return
        for road in roads:  # the door is not in the library: its neighbours, on its side if any
            nums, recs = self._road_numbers[road], self._road_records[road]
            i = bisect_left(nums, number)
            if 0 < i < len(nums):
                side = number % 2
                below = next((j for j in range(i - 1, max(-1, i - 9), -1) if nums[j] % 2 == side), i - 1)
                above = next((j for j in range(i, min(len(nums), i + 8)) if nums[j] % 2 == side), i)
                for j in (below, above):
                    score = base * (0.9 if abs(nums[j] - number) <= 6 else 0.6)
                    r.hits.append((recs[j], score, "nearest_number"))
            elif nums:  # past either end of the road
                r.hits.append((recs[min(i, len(nums) - 1)], base * 0.6, "nearest_number"))
        r.note = f"no number {number} on {'/'.join(self._road_names[x] for x in roads)}"

    def _read_road(self, r: _Reading, roads, quality: float) -> None:
        """A road without a number places the case only if the whole road lies in one grid."""
        roads, _ = roads
        recs = [rid for road in roads for rid in self._road_records[road]]
        if recs and len({self._grid_of[i] for i in recs}) == 1:
            r.hits.append((recs[len(recs) // 2], 0.9 * quality, "road"))
        else:
            r.note = f"{'/'.join(self._road_names[x] for x in roads)} without a house number"

    def _decide(self, t: str, focus: tuple[int, int] | None) -> PlaceDecision:
        exact = self._scan(t)
        readings, others = self._read(t, exact)
        if not any(s >= 0.9 for r in readings for _, s, _ in r.hits):
            readings, others = self._read(t, self._with_typos(t, exact, readings))
        if focus:
            focused = [r for r in readings if r.start < focus[1] and focus[0] < r.end and r.hits]
            readings = focused or readings
        outside = self._outside(readings, others)
        if outside:
            return PlaceDecision("outside", None, (), outside)
        return self._verdict(t, readings)

    def _with_typos(self, t: str, exact: list[_Mention], readings: list[_Reading]) -> list[_Mention]:
        """Exact mentions plus typo readings that do not contradict them.

        A typo reading may swallow a known name only if it is two characters longer (东湖路 is no
        typo of 东湖北路) or one longer when the known name led nowhere (东风路东23号 is 东风东路23号);
        one that merely extends a known name needs two more characters and one edit (执信南路宿社
        is 执信南路宿舍, 北京路和 is not 北京路站). Names outside the district are never read as
        typos; the district's own (广州市, 越秀) may be part of one."""
        idle = {r.start for r in readings if not r.hits}

        def may_swallow(f: _Mention, m: _Mention) -> bool:
            kind = m.entries[0] & 7
            if kind in (_OUT_ADMIN, _OUT_PLACE) or not (f.start <= m.start and m.end <= f.end):
                return False
            if kind == _HOME:
                return True
            extra = (f.end - f.start) - (m.end - m.start)
            if f.name.startswith(t[m.start:m.end]):
                return extra >= 2 and f.edits == 1
            return extra >= 2 or (extra == 1 and m.start in idle)

        chosen: list[_Mention] = []
        for f in sorted(self._typos(t), key=lambda m: (m.start - m.end, -m.quality)):
            blockers = [m for m in exact + chosen if m.start < f.end and f.start < m.end]
            if all(m in exact and may_swallow(f, m) for m in blockers):
                chosen.append(f)
            elif all(m in chosen for m in blockers):  # a rival reading of the same typo: keep it
                for m in blockers:
                    close = abs(f.start - m.start) <= 1 and abs(f.end - m.end) <= 1
                    if close and f.quality > m.quality - 0.05:
                        m.entries += tuple(c for c in f.entries if c not in m.entries)
        kept = [m for m in exact if not any(f.start <= m.start and m.end <= f.end for f in chosen)]
        return sorted(kept + chosen, key=lambda m: m.start)

    def _outside(self, readings: list[_Reading], others: list[_Mention]) -> str | None:
        """An outside district or city counts unless the message names the district itself or
        names it apart from the in-district place; an outside road loses to any good match."""
        if any(m.entries[0] & 7 == _HOME for m in others):
            return None
        strong = [r for r in readings if any(s >= 0.9 for _, s, _ in r.hits)]
        for m in others:
            kind = m.entries[0] & 7
            if kind == _OUT_ADMIN and (not strong or any(0 <= r.start - m.end <= 2 for r in strong)):
                return "outside the district: another district or city"
            if kind == _OUT_PLACE and not strong:
                return "outside the district: a road or area of another district"
        return None

    def _verdict(self, t: str, readings: list[_Reading]) -> PlaceDecision:
        best_of: dict[int, tuple[float, str, _Reading]] = {}
        for r in readings:
            for rid, score, how in r.hits:
                if rid not in best_of or score > best_of[rid][0]:
                    best_of[rid] = (score, how, r)
        ranked = sorted(best_of.items(), key=lambda kv: (-kv[1][0], kv[0]))
        if not ranked or ranked[0][1][0] < CONFIRM:
            notes = [r.note for r in readings if r.note]
            if not notes and (m := _ROAD_SHAPED.search(t)):
                notes = [f"unknown road in {m.group()}"]
            return PlaceDecision("ask", None, (), notes[0] if notes else "no place found")
        cands = tuple(self._candidate(rid, s, how) for rid, (s, how, _) in ranked[:3])
        best, (score, _, reading) = cands[0], ranked[0][1]
        rivals = [rid for rid, (s, _, _) in ranked[1:]
                  if s >= score - MARGIN and self._grid_of[rid] != self._grid_of[ranked[0][0]]]
        if score >= MATCHED and not rivals:
            status, reason = "matched", reading.note or f"{best.how} match"
        else:
            status = "confirm"
            reason = "several places fit" if rivals else reading.note or "low confidence"
        return PlaceDecision(status, best, cands, reason, reading.position, reading.detail)

    def _candidate(self, rid: int, score: float, how: str) -> Candidate:
        return Candidate(self._ids[rid], self._names[rid], self._kinds[rid],
                         self._grids[self._grid_of[rid]], self._lat[rid], self._lon[rid],
                         round(score, 3), how)
