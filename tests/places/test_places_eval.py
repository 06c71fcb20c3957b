"""The labelled evaluation set's figures, on the held-out `test` split of the shared district."""
import importlib.util
from pathlib import Path

import pytest

from bot.places.evaluate import evaluate

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_address_eval.py"


@pytest.fixture(scope="module")
def report(district, shared_dir):
    spec = importlib.util.spec_from_file_location("make_address_eval", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.build(shared_dir, "test")
    assert len(rows) >= 700
    return evaluate(district, rows)


def test_typed_addresses_land_on_the_right_grid_or_are_confirmed(report):
    typed = report.typed()
    assert typed.share("right") >= 0.97, report.table()
    assert typed.share("wrong") <= 0.01, report.table()


@pytest.mark.parametrize("kind", ["outside", "no_place"])
def test_outside_and_no_place(report, kind):
    assert report.kinds[kind].share("right") >= 0.97, report.table()


@pytest.mark.parametrize("kind", ["ambiguous", "beyond_number"])
def test_unclear_addresses_are_never_matched(report, kind):
    assert report.kinds[kind].share("wrong") <= 0.01, report.table()


def test_generator_is_deterministic_and_splits_differ(shared_dir):
    spec = importlib.util.spec_from_file_location("make_address_eval", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dev = module.build(shared_dir, "dev", scale=0.2)
    assert dev == module.build(shared_dir, "dev", scale=0.2)
    assert [r["text"] for r in dev] != [r["text"] for r in module.build(shared_dir, "test", scale=0.2)]
