"""The NLU's place vocabulary comes from the address library."""
import jieba
import yaml

from bot.district import SAMPLE_DIR
from bot.district.files import load_addresses
from bot.places.vocabulary import place_words, write_jieba_dictionary, write_lookup_table


def test_words_are_places_without_numbers(shared_district):
    words = place_words(load_addresses(shared_district))
    assert "中山五路" in words and "东湖新村" in words and "农讲所地铁站" in words
    assert not any(ch.isdigit() for w in words for ch in w)
    assert "东湖新村3栋" not in words


def test_jieba_keeps_library_names_whole(tmp_path):
    words = place_words(load_addresses(SAMPLE_DIR))
    path = tmp_path / "places.txt"
    write_jieba_dictionary(words, path)
    tokenizer = jieba.Tokenizer()  # a private tokenizer: jieba's global one stays untouched
    before = list(tokenizer.cut("仙邻花园门口垃圾没人收"))
    tokenizer.load_userdict(str(path))
    after = list(tokenizer.cut("仙邻花园门口垃圾没人收"))
    assert "仙邻花园" in after and "仙邻花园" not in before


def test_lookup_table_is_rasa_yaml(tmp_path):
    path = tmp_path / "addresses.yml"
    write_lookup_table(["文澜路", "秉政苑"], path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["nlu"][0]["lookup"] == "address"
    assert data["nlu"][0]["examples"].split() == ["-", "文澜路", "-", "秉政苑"]
