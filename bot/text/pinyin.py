"""Homophone-typo repair through toneless pinyin (pypinyin ships its dictionary: no download).

Members type with pinyin input methods, so their typos are mostly homophones: 回访 for 回放,
退宽 for 退款, 发漂 for 发票, 多少前 for 多少钱. A `Respeller` knows a vocabulary of words that
matter (the lexicon's surfaces and the FAQ's own terms, keyed by toneless pinyin) and
rewrites one to three tokens (two to four characters) of a message to the vocabulary word
that sounds the same. Only tokens that are not known words change: a single character that
is not a particle, or a rare non-word (a real word such as 事件 never becomes 时间, and a
vocabulary word spelled right stays). The matcher uses the repaired reading only when the
literal reading found no confident answer.

Memory: importing pypinyin loads its whole phrase dictionary (lists of readings for 47,000
phrases) and a prefix set of it, about 55 MB held for the life of the process, for a job that
needs the readings of a few hundred vocabulary words. This module reads pypinyin's two data
files itself instead: the single-character table once, on first use, and the phrase table
only while keys are computed, keeping the entries that occur inside the words asked about.
`word_keys` gives exactly what `" ".join(pypinyin.lazy_pinyin(word, style=Style.NORMAL))`
gives (pypinyin's forward maximum matching over its phrases, first readings, tones removed;
tests/test_pinyin_light.py checks it against pypinyin itself).
"""

from __future__ import annotations

import bisect
import importlib.util
import io
import itertools
import json
import re
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

# A window that is a dictionary word at least this frequent is a real word, not a typo.
REAL_WORD_FREQ = 1000
_MAX_READINGS = 2
_NUMERALS = frozenset("零一二两三四五六七八九十百千万亿几半")
# Particles and pronouns: typed on purpose, never a typo of a content word (月的 is no 月底).
_PARTICLES = frozenset("的了吗呢吧啊呀么嘛哦哈啦着过是在有和与及我你他她它这那个也都就还又很不没")
_MEMO_SIZE = 50_000


def _strip_tone(syllable: str) -> str:
    return "".join(_TONELESS.get(ch, ch) for ch in syllable)


def _data_file(name: str) -> Path:
    """A data file of the installed pypinyin, found without importing it."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pypinyin is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / name


class CharTable:
    """pypinyin's single-character table (code point -> its readings with tones, comma-
    separated) in about 1 MB instead of the 10 MB of a dict: the code points in a sorted
    array, the readings in one string with an array of where each begins."""

    def __init__(self, entries: Iterable[tuple[int, str]]) -> None:
        points = array("I")
        starts = array("I")
        texts = io.StringIO()
        size = 0
        for point, text in entries:
            points.append(point)
            starts.append(size)
            texts.write(text)
            size += len(text)
        starts.append(size)
        text = texts.getvalue()
        if any(a >= b for a, b in itertools.pairwise(points)):  # not in order: sort once
            order = sorted(range(len(points)), key=points.__getitem__)
            pieces = [text[starts[i] : starts[i + 1]] for i in order]
            points = array("I", (points[i] for i in order))
            starts = array("I", itertools.accumulate((len(p) for p in pieces), initial=0))
            text = "".join(pieces)
        self._points = points
        self._starts = starts
        self._text = text

    def __len__(self) -> int:
        return len(self._points)

    def get(self, point: int) -> str | None:
        i = bisect.bisect_left(self._points, point)
        if i == len(self._points) or self._points[i] != point:
            return None
        return self._text[self._starts[i] : self._starts[i + 1]]

    def items(self) -> Iterator[tuple[int, str]]:
        for i, point in enumerate(self._points):
            yield point, self._text[self._starts[i] : self._starts[i + 1]]


_char_table: CharTable | None = None
_char_lock = threading.Lock()


def _chars() -> CharTable:
    """pypinyin's single-character table, read on first use."""
    global _char_table
    if _char_table is None:
        with _char_lock:
            if _char_table is None:
                _char_table = CharTable(_char_entries(_data_file("pinyin_dict.json")))
    return _char_table


# One entry per line of pypinyin's pinyin_dict.json: `"12295": "líng,yuán,xīng",`
_CHAR_LINE = re.compile(rb'^"(\d+)": "([^"\\\n]*)",?$', re.MULTILINE)


def _char_entries(path: Path) -> Iterator[tuple[int, str]]:
    """(code point, readings) of pinyin_dict.json, found by one bytes regex (no whole-file
    dict is built); any other layout is parsed whole."""
    data = path.read_bytes()
    found = sum(1 for _ in _CHAR_LINE.finditer(data))
    if found >= max(1, data.count(b"\n") - 2):  # every line but the braces
        for match in _CHAR_LINE.finditer(data):
            yield int(match.group(1)), match.group(2).decode("utf-8")
        return
    table: dict[str, str] = json.loads(data)
    yield from ((int(k), v) for k, v in table.items())


# pypinyin's phrases_dict.json has one JSON token per line: a phrase's key line, then its
# value (lists of readings, one list per character) over the lines up to the next key line.
_KEY_LINE = re.compile(rb'^"([^"\\\n]+)": \[$', re.MULTILINE)
_MIN_PHRASES = 10_000  # fewer key lines than this: an unexpected layout, parse it whole


def _phrases_within(pieces: set[str]) -> tuple[set[str], dict[str, list[str]]]:
    """Of pypinyin's phrases: which of `pieces` begin some phrase, and the first readings
    (with tones) of the pieces that are phrases. Reads the file line by line, parsing only
    the values kept (the whole table parsed weighs about 45 MB)."""
    longest = max((len(p) for p in pieces), default=0)
    prefixes: set[str] = set()
    phrases: dict[str, list[str]] = {}
    for key, value in _phrase_entries(_data_file("phrases_dict.json"), pieces):
        for n in range(1, min(len(key), longest) + 1):
            if key[:n] in pieces:
                prefixes.add(key[:n])
        if value is not None:
            phrases[key] = [readings[0] for readings in value]
    return prefixes, phrases


def _phrase_entries(path: Path, wanted: set[str]) -> Iterator[tuple[str, list[list[str]] | None]]:
    """Every (phrase, value) of the file; the value only for phrases in `wanted`. Scans the
    file's bytes for key lines and parses only the values kept."""
    data = path.read_bytes()
    keys = 0
    kept: tuple[str, int] | None = None  # a wanted phrase and where its value begins
    for match in _KEY_LINE.finditer(data):
        keys += 1
        if kept is not None:
            yield kept[0], _value(data, kept[1], match.start())
            kept = None
        phrase = match.group(1).decode("utf-8")
        if phrase in wanted:
            kept = (phrase, match.end() - 1)
        else:
            yield phrase, None
    if kept is not None:
        yield kept[0], _value(data, kept[1], len(data))
    if keys < _MIN_PHRASES:
        table: dict[str, list[list[str]]] = json.loads(data)
        for phrase, readings in table.items():
            yield phrase, readings if phrase in wanted else None


def _value(data: bytes, start: int, end: int) -> list[list[str]]:
    """The JSON value from `start` up to the next key line (or the closing brace)."""
    text = data[start:end].rstrip().removesuffix(b"}").rstrip().removesuffix(b",")
    value: list[list[str]] = json.loads(text)
    return value


def _segments(word: str, prefixes: set[str], phrases: Mapping[str, object]) -> list[str]:
    """pypinyin's forward maximum matching (mmseg, phrases only): the longest phrase at each
    position, else one character."""
    out: list[str] = []
    remain = word
    while remain:
        last = ""
        for n in range(1, len(remain) + 1):
            head = remain[:n]
            if head not in prefixes:
                break
            if head in phrases:
                last = head
        else:
            if not last:
                out.extend(remain)
                break
        if last:
            out.append(last)
            remain = remain[len(last) :]
        else:
            out.append(remain[0])
            remain = remain[1:]
    return out


def _toneless(reading: str) -> str:
    return _strip_tone(reading)


_key_memo: dict[str, str] = {}
_KEY_MEMO_SIZE = 200_000


def word_keys(words: Iterable[str]) -> dict[str, str]:
    """Each word's toneless pinyin in context (重庆 -> chong qing), joined by spaces. Words
    of Chinese characters only (the vocabulary's): pypinyin keeps other runs whole."""
    wanted = set(words)
    for word in wanted:
        if not all(_is_cjk(ch) for ch in word):
            raise ValueError(f"not a word of Chinese characters: {word!r}")
    missing = [w for w in wanted if w not in _key_memo]
    if missing:
        pieces = {w[i:j] for w in missing for i in range(len(w)) for j in range(i + 1, len(w) + 1)}
        prefixes, phrases = _phrases_within(pieces)
        chars = _chars()
        if len(_key_memo) + len(missing) > _KEY_MEMO_SIZE:
            _key_memo.clear()
        for word in missing:
            syllables: list[str] = []
            for segment in _segments(word, prefixes, phrases):
                if segment in phrases:
                    syllables.extend(phrases[segment])
                else:
                    for ch in segment:
                        raw = chars.get(ord(ch))
                        syllables.append(raw.split(",")[0] if raw else ch)
            _key_memo[word] = " ".join(_toneless(s) for s in syllables)
    return {w: _key_memo[w] for w in wanted}


_TONELESS = {
    **dict.fromkeys("āáǎà", "a"),
    **dict.fromkeys("ēéěè", "e"),
    **dict.fromkeys("īíǐì", "i"),
    **dict.fromkeys("ōóǒò", "o"),
    **dict.fromkeys("ūúǔù", "u"),
    **dict.fromkeys("ǖǘǚǜü", "v"),
    **dict.fromkeys("ńňǹ", "n"),
    "ḿ": "m",
}


@lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[str, ...]:
    """The toneless readings of one CJK character (dictionary order); () otherwise."""
    raw = _chars().get(ord(ch))
    if not raw:
        return ()
    out: list[str] = []
    for syllable in raw.split(","):
        plain = _strip_tone(syllable)
        if plain not in out:
            out.append(plain)
    return tuple(out[:_MAX_READINGS])


def word_key(word: str) -> str:
    """A word's toneless pinyin in context (重庆 -> chong qing), joined by spaces."""
    return word_keys([word])[word]


@lru_cache(maxsize=65536)
def fuzzy(syllable: str) -> str:
    """A syllable as the commonest fuzzy-pinyin setting of input methods reads it: front and
    back nasals alike (in/ing, en/eng), so 押经 meets 押金 and 报民 meets 报名. (Flat and
    retroflex initials are not merged: 鸡翅 would become 几次.)"""
    if syllable.endswith(("ing", "eng")):
        syllable = syllable[:-1]
    return syllable


def fuzzy_key(key: str) -> str:
    return " ".join(fuzzy(s) for s in key.split(" "))


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


class Respeller:
    """Built once per vocabulary (an FAQ index build); `respell` is cheap and pure."""

    def __init__(self, vocabulary: Iterable[str], real_word: Callable[[str], bool]) -> None:
        self.vocabulary: frozenset[str] = frozenset(
            w for w in vocabulary if 2 <= len(w) <= 4 and all(_is_cjk(c) for c in w)
        )
        by_key: dict[str, str] = {}
        ambiguous: set[str] = set()
        keys = word_keys(self.vocabulary)
        for word in sorted(self.vocabulary):
            key = keys[word]
            if key in by_key and by_key[key] != word:
                ambiguous.add(key)
            by_key.setdefault(key, word)
        # Two vocabulary words that sound alike: no safe repair for that sound.
        self._by_key: Mapping[str, str] = {k: w for k, w in by_key.items() if k not in ambiguous}
        # The same under fuzzy pinyin, tried only when no word sounds exactly alike; a fuzzy
        # sound two vocabulary words share is no safe repair either.
        by_fuzzy: dict[str, str] = {}
        for key, word in sorted(by_key.items()):
            loose = fuzzy_key(key)
            if loose in by_fuzzy and by_fuzzy[loose] != word:
                ambiguous.add(loose)
            by_fuzzy.setdefault(loose, word)
        self._by_fuzzy: Mapping[str, str] = {
            k: w for k, w in by_fuzzy.items() if k not in ambiguous
        }
        self._real_word = real_word
        # Both depend only on their argument and the fixed vocabulary: memoised, bounded.
        self._mutable_memo: dict[str, bool] = {}
        self._candidates_memo: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def _mutable(self, token: str) -> bool:
        """May this token's characters change? (Not numbers: 跑两公里 is no 跑量; not particles.)"""
        found = self._mutable_memo.get(token)
        if found is None:
            if len(self._mutable_memo) >= _MEMO_SIZE:
                self._mutable_memo.clear()
            found = self._mutable_memo[token] = self._compute_mutable(token)
        return found

    def _compute_mutable(self, token: str) -> bool:
        if not all(_is_cjk(c) for c in token):
            return False
        if any(c in _NUMERALS or c in _PARTICLES for c in token):
            return False
        if len(token) == 1:
            return True
        return token not in self.vocabulary and not self._real_word(token)

    def respell(self, tokens: Sequence[str]) -> str | None:
        """The tokens joined with homophone typos of vocabulary words repaired; None if none.

        A repair covers whole tokens (jieba's cut), two to four characters; every token whose
        characters change must be mutable, the others stay exactly as typed (多少+前 -> 多少钱).
        """
        if not self._by_key:
            return None
        mutable = [self._mutable(t) for t in tokens]
        if not any(mutable):
            return None  # every window of the tokens needs a mutable one
        out: list[str] = []
        changed = False
        i = 0
        while i < len(tokens):
            repaired = self._repair_at(tokens, i, mutable)
            if repaired is None:
                out.append(tokens[i])
                i += 1
                continue
            word, used = repaired
            out.append(word)
            i += used
            changed = True
        return "".join(out) if changed else None

    def _repair_at(
        self, tokens: Sequence[str], i: int, mutable: Sequence[bool]
    ) -> tuple[str, int] | None:
        for used in (3, 2, 1):
            if i + used > len(tokens) or not any(mutable[i : i + used]):
                continue
            group = tokens[i : i + used]
            window = "".join(group)
            if not 2 <= len(window) <= 4 or window in self.vocabulary:
                continue
            for word in self._candidates(window):
                if self._allowed(group, word):
                    return word, used
        return None

    def _candidates(self, window: str) -> tuple[str, ...]:
        """Vocabulary words that sound like `window`, in reading order."""
        found = self._candidates_memo.get(window)
        if found is None:
            options = [readings(c)[:_MAX_READINGS] for c in window]
            words: list[str] = []
            if all(options):
                for combo in itertools.product(*options):
                    word = self._by_key.get(" ".join(combo))
                    if word is not None and word != window:
                        words.append(word)
                if not words:
                    for combo in itertools.product(*options):
                        word = self._by_fuzzy.get(" ".join(fuzzy(s) for s in combo))
                        if word is not None and word != window and word not in words:
                            words.append(word)
            if len(self._candidates_memo) >= _MEMO_SIZE:
                self._candidates_memo.clear()
            found = self._candidates_memo[window] = tuple(words)
        return found

    def _allowed(self, group: Sequence[str], word: str) -> bool:
        pos = 0
        for token in group:
            target = word[pos : pos + len(token)]
            pos += len(token)
            if target != token and not self._mutable(token):
                return False
        return True
