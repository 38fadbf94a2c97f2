"""Homophone-typo repair through toneless pinyin (pypinyin ships its dictionary: no download).

Members type with pinyin input methods, so their typos are mostly homophones: 回访 for 回放,
退宽 for 退款, 发漂 for 发票, 多少前 for 多少钱. A `Respeller` knows a vocabulary of words that
matter (the lexicon's surfaces and the FAQ's own terms, keyed by toneless pinyin) and
rewrites one to three tokens (two to four characters) of a message to the vocabulary word
that sounds the same. Only tokens that are not known words change: a single character that
is not a particle, or a rare non-word (a real word such as 事件 never becomes 时间, and a
vocabulary word spelled right stays). The matcher uses the repaired reading only when the
literal reading found no confident answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PINYIN_DICT

# A window that is a dictionary word at least this frequent is a real word, not a typo.
REAL_WORD_FREQ = 1000
_MAX_READINGS = 2
_NUMERALS = frozenset("零一二两三四五六七八九十百千万亿几半")
# Particles and pronouns: typed on purpose, never a typo of a content word (月的 is no 月底).
_PARTICLES = frozenset("的了吗呢吧啊呀么嘛哦哈啦着过是在有和与及我你他她它这那个也都就还又很不没")
_MEMO_SIZE = 50_000


def _strip_tone(syllable: str) -> str:
    return "".join(_TONELESS.get(ch, ch) for ch in syllable)


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
    raw = PINYIN_DICT.get(ord(ch))
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
    return " ".join(lazy_pinyin(word, style=Style.NORMAL))


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
        for word in sorted(self.vocabulary):
            key = word_key(word)
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
        out: list[str] = []
        changed = False
        i = 0
        while i < len(tokens):
            repaired = self._repair_at(tokens, i)
            if repaired is None:
                out.append(tokens[i])
                i += 1
                continue
            word, used = repaired
            out.append(word)
            i += used
            changed = True
        return "".join(out) if changed else None

    def _repair_at(self, tokens: Sequence[str], i: int) -> tuple[str, int] | None:
        for used in (3, 2, 1):
            group = tokens[i : i + used]
            if len(group) < used:
                continue
            window = "".join(group)
            if not 2 <= len(window) <= 4 or window in self.vocabulary:
                continue
            if not any(self._mutable(t) for t in group):
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
