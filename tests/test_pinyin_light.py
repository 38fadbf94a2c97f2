"""bot/text/pinyin.py reads pypinyin's data files itself (without importing pypinyin, which
holds ~55 MB): its word keys and character readings must be exactly pypinyin's."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from bot.text import pinyin
from bot.text.lexicon import FAMILIES


def _reference(word: str) -> str:
    return " ".join(lazy_pinyin(word, style=Style.NORMAL))


def test_word_keys_are_pypinyins_for_phrases_lexicon_words_and_random_strings() -> None:
    rng = random.Random(5)
    phrases = sorted(w for w in PHRASES_DICT if len(w) <= 4)
    cjk = [chr(c) for c in range(0x4E00, 0xA000)]
    words = set(rng.sample(phrases, 4000))
    words |= {
        w
        for surfaces in FAMILIES.values()
        for w in surfaces
        if 1 <= len(w) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in w)
    }
    words |= {"".join(rng.choice(cjk) for _ in range(rng.randint(2, 4))) for _ in range(3000)}
    # polyphonic characters whose reading depends on the phrase around them
    words |= {"重庆", "银行", "行长", "长大", "重新", "音乐", "快乐", "还款", "还有", "会计"}
    keys = pinyin.word_keys(words)
    wrong = {w: (keys[w], _reference(w)) for w in words if keys[w] != _reference(w)}
    assert not wrong
    assert keys["重庆"] == "chong qing" and keys["行长"] == "hang zhang"


def test_every_phrase_of_the_file_is_found() -> None:
    path = pinyin._data_file("phrases_dict.json")
    found = dict(pinyin._phrase_entries(path, {"一丁不识", "重庆"}))
    assert found.keys() == PHRASES_DICT.keys()
    assert found["重庆"] == PHRASES_DICT["重庆"] and found["一丁不识"] == PHRASES_DICT["一丁不识"]


def test_only_words_of_chinese_characters_have_keys() -> None:
    with pytest.raises(ValueError, match="ppt"):
        pinyin.word_keys(["ppt"])


def test_character_table_is_pypinyins() -> None:
    table = pinyin._chars()
    assert dict(table.items()) == PINYIN_DICT
    assert all(table.get(point) == text for point, text in PINYIN_DICT.items())
    assert table.get(ord("a")) is None and table.get(0x10FFFF) is None
    assert pinyin.readings("行") == ("xing", "hang")


def test_a_character_table_in_another_layout_is_parsed_whole(tmp_path: Path) -> None:
    path = tmp_path / "pinyin_dict.json"
    path.write_text(json.dumps({"19968": "yī", "19969": "dīng,zhēng"}), "utf-8")  # one line
    assert dict(pinyin._char_entries(path)) == {19968: "yī", 19969: "dīng,zhēng"}


def test_an_unexpected_file_layout_is_parsed_whole(tmp_path: Path) -> None:
    table = {f"{chr(0x4E00 + i)}{chr(0x4E01 + i)}": [["a"], ["b"]] for i in range(20)}
    path = tmp_path / "phrases_dict.json"
    path.write_text(json.dumps(table, ensure_ascii=False), "utf-8")  # one line
    entries = dict(pinyin._phrase_entries(path, {"一丁"}))
    assert entries.keys() == table.keys()
    assert entries["一丁"] == [["a"], ["b"]] and entries["丁丂"] is None
