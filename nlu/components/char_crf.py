"""Character-level CRF entity extractor for Chinese (address, time).

Why: DIET tags jieba tokens, and jieba glues unknown place names to their neighbours (住麓/景路,
在盘/福路), so a token tagger cannot even express the right span, and on street names it never saw it
fragments addresses (执信 + 南路). A linear-chain CRF over characters with window features (characters,
bigrams, character classes, place suffixes 路/街/号/栋…, the jieba token position, gazetteer hits) learns
the *shape* of an address and carries over to unseen names.

`CharCRFExtractor` is a Rasa GraphComponent (ENTITY_EXTRACTOR, trainable); entities it sets carry
`extractor: CharCRFExtractor` and a confidence (the marginal probability averaged over the span).
The feature and decoding functions are plain so they can be tested and benchmarked without Rasa.
"""
from __future__ import annotations

import logging
import pickle
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text

logger = logging.getLogger(__name__)

PLACE_SUFFIX = set("路街巷道村园苑楼栋座幢号区桥站场寺院馆堂园市口段门坊里")
PLACE_SUFFIX2 = {"大道", "大街", "马路", "新村", "花园", "小区", "广场", "公园", "地铁", "医院", "中学", "市场", "路口",
                 "交界", "单元", "号楼", "之一", "大院", "首层", "出口", "大厦", "新城", "家园", "街道"}
POSITION_WORDS = {"门口", "旁边", "附近", "楼下", "对面", "后面", "那边", "路边", "这里", "巷子", "出口", "里面", "嗰度",
                  "隔离", "前面", "转角", "的", "嘅", "有", "成日", "经常"}
TIME_CHARS = set("天晚早午夜凌晨昨今前明周星期礼拜点时分号月日上下半琴噚朝昼")
CN_NUM = set("零一二三四五六七八九十百千两")


def char_class(c: str) -> str:
    if c.isdigit():
        return "D"
    if c in CN_NUM:
        return "N"
    if "a" <= c.lower() <= "z":
        return "L"
    if c.isspace():
        return "S"
    cat = unicodedata.category(c)
    if cat.startswith("P"):
        return "P"
    if cat.startswith("S") or cat in ("Mn", "Cf"):
        return "E"  # emoji, symbols
    if "\u4e00" <= c <= "\u9fff":
        return "H"
    return "O"


def token_positions(text: str, tokens: Sequence[tuple[int, int]]) -> list[str]:
    """B/M/E/S of each character within its (jieba) token; '-' where no token covers it."""
    pos = ["-"] * len(text)
    for s, e in tokens:
        if e - s == 1:
            pos[s] = "S"
        else:
            pos[s] = "B"
            for i in range(s + 1, e - 1):
                pos[i] = "M"
            pos[e - 1] = "E"
    return pos


def features(text: str, tokens: Sequence[tuple[int, int]] = (), gazetteer_re: Optional[re.Pattern] = None) -> list[dict]:
    n = len(text)
    tpos = token_positions(text, tokens) if tokens else ["-"] * n
    gz = ["0"] * n
    if gazetteer_re is not None:
        for m in gazetteer_re.finditer(text):
            for i in range(m.start(), m.end()):
                gz[i] = "B" if i == m.start() else "I"
    cls = [char_class(c) for c in text]
    out = []
    for i, c in enumerate(text):
        f = {"b": 1.0, "c": c, "cls": cls[i], "tp": tpos[i], "gz": gz[i],
             "suf": c in PLACE_SUFFIX, "tch": c in TIME_CHARS}
        for d in (-3, -2, -1, 1, 2, 3):
            j = i + d
            if 0 <= j < n:
                f[f"c{d}"] = text[j]
                f[f"cls{d}"] = cls[j]
                if abs(d) <= 2:
                    f[f"tp{d}"] = tpos[j]
                    f[f"suf{d}"] = text[j] in PLACE_SUFFIX
            else:
                f[f"c{d}"] = "<s>" if j < 0 else "</s>"
        if i > 0:
            f["bg-1"] = text[i - 1:i + 1]
            f["pw-1"] = text[i - 1:i + 1] in POSITION_WORDS
        if i + 1 < n:
            f["bg+1"] = text[i:i + 2]
            f["ps2"] = text[i:i + 2] in PLACE_SUFFIX2
            f["pw+1"] = text[i:i + 2] in POSITION_WORDS
        if i > 0 and text[i - 1:i + 1] in PLACE_SUFFIX2:
            f["ps2-1"] = True
        if i + 2 < n:
            f["tg+1"] = text[i:i + 3]
        if i > 1:
            f["tg-1"] = text[i - 2:i + 1]
        f["shape"] = "".join(cls[max(0, i - 2):i + 3])
        out.append(f)
    return out


def bio(text: str, entities: Sequence[dict], types: Sequence[str]) -> list[str]:
    tags = ["O"] * len(text)
    for e in entities:
        if e["entity"] not in types:
            continue
        for i in range(e["start"], e["end"]):
            tags[i] = ("B-" if i == e["start"] else "I-") + e["entity"]
    return tags


def decode(text: str, tags: Sequence[str], marginals: Optional[Sequence[dict]] = None) -> list[dict]:
    """BIO (tolerating I- without B-) → entities with a confidence."""
    out = []
    i, n = 0, len(tags)
    while i < n:
        t = tags[i]
        if t == "O":
            i += 1
            continue
        typ = t[2:]
        j = i + 1
        while j < n and tags[j] == f"I-{typ}":
            j += 1
        span = text[i:j]
        # trim whitespace / punctuation at the edges
        s, e = i, j
        while s < e and char_class(text[s]) in "PSE":
            s += 1
        while e > s and char_class(text[e - 1]) in "PSE":
            e -= 1
        if e > s:
            conf = 1.0
            if marginals is not None:
                conf = sum(marginals[k].get(tags[k], 0.0) for k in range(i, j)) / (j - i)
            out.append({"entity": typ, "start": s, "end": e, "value": text[s:e], "confidence_entity": round(conf, 4)})
        i = j
    return out


class CharCRF:
    def __init__(self, types=("address", "time"), c1: float = 0.05, c2: float = 0.05, max_iterations: int = 150,
                 gazetteer: Optional[Iterable[str]] = None):
        self.types = tuple(types)
        self.c1, self.c2, self.max_iterations = c1, c2, max_iterations
        names = sorted({g for g in (gazetteer or []) if len(g) >= 2}, key=len, reverse=True)
        self.gazetteer_re = re.compile("|".join(map(re.escape, names))) if names else None
        self.crf = None

    def fit(self, samples: Sequence[tuple[str, Sequence[tuple[int, int]], Sequence[dict]]]) -> "CharCRF":
        import sklearn_crfsuite

        X = [features(t, toks, self.gazetteer_re) for t, toks, _ in samples]
        y = [bio(t, ents, self.types) for t, _, ents in samples]
        self.crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=self.c1, c2=self.c2,
                                        max_iterations=self.max_iterations, all_possible_transitions=True)
        self.crf.fit(X, y)
        return self

    def extract(self, text: str, tokens: Sequence[tuple[int, int]] = ()) -> list[dict]:
        if not text:
            return []
        X = features(text, tokens, self.gazetteer_re)
        tags = self.crf.predict_single(X)
        marg = self.crf.predict_marginals_single(X)
        return decode(text, tags, marg)


# -- Rasa component -------------------------------------------------------------------------------
try:
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.nlu.extractors.extractor import EntityExtractorMixin
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
except ImportError:  # imported outside the Rasa venv (tests of the plain functions)
    GraphComponent = object  # type: ignore[assignment,misc]
    DefaultV1Recipe = None  # type: ignore[assignment]


def _token_spans(message) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT]) or []]


def _unannotated(message) -> bool:
    """A retired evaluation row: its places were never marked, so it would teach that they are none."""
    from nlu.components.heads import example_meta
    from nlu.people_corpus import RETIRED_SOURCE

    return example_meta(message, "source") == RETIRED_SOURCE


if DefaultV1Recipe is not None:

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
    class CharCRFExtractor(GraphComponent, EntityExtractorMixin):
        FILE = "char_crf.pkl"

        @staticmethod
        def get_default_config() -> Dict[Text, Any]:
            return {"entities": ["address", "time"], "c1": 0.05, "c2": 0.05, "max_iterations": 150,
                    "use_lookup_tables": True}

        def __init__(self, config, model_storage, resource, model: Optional[CharCRF] = None) -> None:
            self.config = {**self.get_default_config(), **config}
            self._model_storage, self._resource, self.model = model_storage, resource, model

        @classmethod
        def create(cls, config, model_storage, resource, execution_context) -> "CharCRFExtractor":
            return cls(config, model_storage, resource)

        @classmethod
        def load(cls, config, model_storage, resource, execution_context, **kwargs) -> "CharCRFExtractor":
            model = None
            try:
                with model_storage.read_from(resource) as d:
                    p = Path(d) / cls.FILE
                    if p.exists():
                        with p.open("rb") as f:
                            model = pickle.load(f)
            except ValueError:
                pass
            return cls(config, model_storage, resource, model)

        def train(self, training_data: TrainingData) -> Resource:
            types = self.config["entities"]
            samples = [(m.get(TEXT), _token_spans(m), m.get(ENTITIES) or [])
                       for m in training_data.training_examples if m.get(TEXT) and not _unannotated(m)]
            gazetteer = []
            if self.config["use_lookup_tables"]:
                for table in training_data.lookup_tables:
                    elements = table.get("elements")
                    if isinstance(elements, list):
                        gazetteer += [str(x) for x in elements]
            if any(e["entity"] in types for _, _, ents in samples for e in ents):
                self.model = CharCRF(types, self.config["c1"], self.config["c2"], self.config["max_iterations"],
                                     gazetteer).fit(samples)
            with self._model_storage.write_to(self._resource) as d:
                if self.model is not None:
                    with (Path(d) / self.FILE).open("wb") as f:
                        pickle.dump(self.model, f, protocol=pickle.HIGHEST_PROTOCOL)
            return self._resource

        def process(self, messages: List[Message]) -> List[Message]:
            if self.model is None:
                return messages
            for m in messages:
                ents = [dict(e, extractor="CharCRFExtractor") for e in
                        self.model.extract(m.get(TEXT) or "", _token_spans(m))]
                m.set(ENTITIES, (m.get(ENTITIES) or []) + ents, add_to_output=True)
            return messages

        def process_training_data(self, training_data: TrainingData) -> TrainingData:
            return training_data

        @staticmethod
        def required_packages() -> List[Text]:
            return ["sklearn_crfsuite"]
