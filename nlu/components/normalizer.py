"""Normalisation inside the Rasa pipeline (nlu.normalize), with entities still on the text as sent.

- `nlu.components.normalizer.TextNormalizer`, first in the pipeline: keeps the message's text under
  `text_original`, replaces `text` with `fold(text)` (same length, so every offset the tokenizer, the
  regexes and the taggers produce is an offset into the original) and puts `mandarin(text)` (Cantonese
  words → Mandarin, length changes) under `text_mandarin` for the category and urgency heads.
  In training data, entity values that were the annotated span are folded with it, or
  EntitySynonymMapper would learn every traditional span as a synonym of itself.
- `nlu.components.normalizer.RestoreText`, last: puts the original text back, so `text` in
  /model/parse is what was sent (EntityMerger already reports entity values from it).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalize import fold, mandarin

ORIGINAL = "text_original"
MANDARIN = "text_mandarin"


def original_text(message: Message) -> str:
    return message.get(ORIGINAL) or message.get(TEXT) or ""


def mandarin_text(message: Message) -> str:
    return message.get(MANDARIN) or message.get(TEXT) or ""


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TextNormalizer":
        return cls()

    @staticmethod
    def normalize(message: Message) -> None:
        text = message.get(TEXT)
        if not text or message.get(ORIGINAL) is not None:
            return
        folded = fold(text)
        message.set(ORIGINAL, text)
        message.set(MANDARIN, mandarin(text))
        message.set(TEXT, folded)
        for e in message.get(ENTITIES) or []:
            if e.get("value") == text[e["start"]:e["end"]]:
                e["value"] = folded[e["start"]:e["end"]]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for m in training_data.training_examples:
            self.normalize(m)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for m in messages:
            self.normalize(m)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RestoreText(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RestoreText":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for m in messages:
            if m.get(ORIGINAL) is not None:
                m.set(TEXT, m.get(ORIGINAL))
        return messages
