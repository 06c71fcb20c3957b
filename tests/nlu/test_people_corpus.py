"""The training YAML the people corpus and the retired evaluation sets become, and what stays blind."""
from __future__ import annotations

from nlu import people_corpus


def test_the_generated_training_files_are_current():
    intents, reports = people_corpus.read_rows()
    assert people_corpus.validate(intents, reports) == []
    for path, (text, _) in people_corpus.outputs(intents, reports).items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: python -m nlu.people_corpus"


def test_retired_sets_are_trained_on_and_the_newer_sets_stay_blind():
    retired = set(people_corpus.RETIRED_SETS)
    blind = {p.name for p in people_corpus.EVAL_SETS}
    assert blind and not blind & retired
    assert {"ninth_eval.csv"} <= blind
    text, examples = people_corpus.outputs(*people_corpus.read_rows())[people_corpus.RETIRED_YAML]
    assert examples > 3000
    blocks = text.split("\n- intent: ")[1:]
    assert blocks and all(f"source: {people_corpus.RETIRED_SOURCE}" in b for b in blocks)
