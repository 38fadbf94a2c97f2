"""Chinese text analysis for Q&A: normalisation, politeness, question intent, canonical terms.

`looks_like_question` is a cheap, pure pre-filter (no tokenizer) used by the route's match;
`Analyzer` does the real work (jieba plus the lexicon in bot/text/lexicon.py) only for
messages that passed it.
"""

from __future__ import annotations

import functools
import itertools
import logging
import random
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.text.lexicon import (
    DEICTIC_TERMS,
    EVENT_TERMS,
    FAMILIES,
    GENERIC_TERMS,
    INTENT_TERMS,
    NEAR_WORDS,
    POLITE_PREFIXES,
    SPLITS,
    STOPWORDS,
)
from bot.text.pinyin import REAL_WORD_FREQ
from bot.text.question_forms import (
    asks_without_question_word,
    request_wish,
    told_not_now,
    without_whether_or_not,
)

_MENTION = re.compile(r"@\S+?(?:[\u2005\u2004\s]|$)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_WEEKDAY = re.compile(r"(?:星期|礼拜)([一二三四五六日天1-7])")
_SPACES = re.compile(r"\s+")
_PUNCT_EDGE = " \t,，.。!！~～、;；:：…-—_=+*#＃@\"'“”‘’()（）[]【】<>《》「」『』|/\\"

# Question marks, or a sentence-final particle that asks.
_ASKING_END = re.compile(r"[?？]|[吗嘛么呢伐](?:[\s~～。.!！…,，]|$)")
_ASKING_WORDS = re.compile(
    r"什么|啥|怎么|怎样|咋|如何|哪|几[点号时个天次位月年岁周期种份人块分张节篇组斤项条门本场轮件套课级]|"
    r"周几|星期几|礼拜几|多少|多久|为何|为什么|为啥|是否|能否|可否|有没有|是不是|能不能|可不可以|可以不|"
    r"会不会|要不要|行不行|好不好|有无|请问|求问|请教|想问|问一下|问下|不知道|不清楚|不懂|谁|"
    r"是\S{1,12}还是\S{1,12}$"
)
# A request the FAQ answers like a question: "我想申请退费", "我要退出俱乐部" (unless told
# of the past or set as a condition: "本来想退费的"), "地址发一下".
_REQUEST = re.compile(
    r"(?:^|[,，。!！;；\s])(?:我|本人)?(?:想|要|想要|需要|打算)(?:申请|办理|办|报名|退款|退费|退钱|退群|退出|退会|续费|"
    r"开发票|开票|请假|预约|约课|转让|暂停|停卡|取消|补卡|兑换|投稿|加入|入会|入群)"
    r"(?!的(?!课|班|卡|钱|费|话))"  # "想报名的同学接龙": those who wish it, not a request
)
_SEND_REQUEST = re.compile(r"(?:发一下|发下|发我一下|发我|求发|求个)$")
# Emoji and symbols after the last word do not end the sentence ("可以退款不😢").
_TRAILING_SYMBOLS = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\s]+$")
# A-not-A questions closed by a bare 不: "钱能退不", "能开发票不", "可以带娃不".
_ASKING_NOT = re.compile(r"(?:能|可以|可|会|要|有|是|行|好|对|用)\S{0,12}不[\s~～。.!！…]*$")
# Exclamations shaped like questions: "怎么这么好看", "多么", "哪有".
_RHETORICAL = re.compile(r"怎么这么|怎么那么|怎么会这么|多么|哪有|谁说|什么鬼|为什么不呢")
# "也太好笑了吧？": an exclamation, question mark or not (no question word asks anything).
_EXCLAIMED = re.compile(r"太[^，。,;；]{1,6}了吧[?？!！~～。.…]*$")
_ASKING_START = re.compile(r"^(?:请问|想问|问一?下|麻烦问|请教|求问|咨询一?下|弱弱.{0,2}问|冒昧问)")
_LAUGH = re.compile(r"^(?:[哈嘿呵嘻嗯哦噢啊呀哇]+|[\W_]+)$")

_POLITE = sorted(POLITE_PREFIXES, key=len, reverse=True)
# The same prefixes, in the same order, by their first character: a text can only start
# with the prefixes of its own first character (most texts start with none of them).
_POLITE_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _p in _POLITE:
    _POLITE_BY_FIRST[_p[0]] = (*_POLITE_BY_FIRST.get(_p[0], ()), _p)
_SURFACE: dict[str, tuple[str, ...]] = {}
for _canon, _surfaces in FAMILIES.items():
    for _s in (_canon, *_surfaces):
        _SURFACE.setdefault(_s.lower(), (_canon,))
for _s, _parts in SPLITS.items():
    _SURFACE[_s] = _parts
# Mapped, never added to the tokenizer (the loop in Analyzer adds only _SURFACE's words).
_NEAR: dict[str, tuple[str, ...]] = {}
for _canon, _surfaces in NEAR_WORDS.items():
    for _s in (_canon, *_surfaces):
        if _s.lower() not in _SURFACE:
            _NEAR.setdefault(_s.lower(), (_canon,))

# 自己 before one of these verbs says the member brings or buys it (准备: 自备), however said.
_PROVIDE = frozenset({"带", "带上", "带来", "买", "购买", "准备", "备", "备好", "出", "配"})
OWN_SUPPLY = "准备"
# A bare 退 next to one of these is a refund, not leaving the group.
_PAID_FOR = frozenset({"费用", "退款", "课程", "会员", "押金", "报名", "会员卡"})

NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
# An amount or an ordinal in Chinese numerals ("一年", "第三天", "十分钟", "五岁"): context.
CHINESE_AMOUNT = re.compile(
    r"^第?[一二两三四五六七八九十百千万半几]+个?"
    r"(?:年|月|天|日|周|次|岁|分钟|小时|页|节|节课|课|张|位|人|期|届|名|遍|回|号|块|元|本|篇|公里|斤)?$"
)
_LATIN = re.compile(r"^[a-z][a-z0-9]*$")
# Separable verbs (离合词): a verb and its object with a measure, aspect or count between
# them (洗个澡, 请了两天假, 报个名) are the one word the FAQ uses (洗澡, 请假, 报名).
_SEPARABLE = frozenset(
    """
    请假 报名 洗澡 睡觉 见面 帮忙 上课 开会 打卡 签到 吃饭 理发 考试 游泳 跑步 散步
    唱歌 跳舞 排队 请客 交钱 退钱 充电 停车 聊天 拍照 照相 加班 搬家 看病 挂号 体检
    退货 换货 下单 付款 退款 补课 做饭 剪发 洗头 打针 办卡 开票 上门 遛狗 开课 订票
    点名 发言 冲澡
    """.split()  # noqa: SIM905
)
_SEPARATOR = re.compile(
    r"^(?:个|了|过|完|了个|一个|一次|次|不了|[一二两三四五六七八九十几半\d]+[个天次节堂周]?)$"
)

# A word split around 不/没 to ask yes or no (冷不冷, 喜不喜欢) is the word it splits.
_SPLIT_WORD = re.compile(r"^([\u4e00-\u9fff])[不没]\1([\u4e00-\u9fff]*)$")
# 多 + an adjective, cut as one token or joined (多远, 有多深, 多重): a measure asked.
_MEASURE_WORD = re.compile(r"^有?多[远深重高宽厚大贵快]$")
_WHICH_FLOOR = re.compile(r"^几(?:楼|层|栋|号楼|号线|号门|站)$")
_MEASURE_ADJECTIVES = frozenset("远深重高宽厚大贵快")


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, no @mentions or links, 星期三 -> 周三, one space."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _MENTION.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _WEEKDAY.sub(lambda m: "周" + m.group(1).replace("天", "日"), text)
    return _SPACES.sub(" ", text).strip()


def strip_politeness(text: str) -> str:
    """Drop greetings and polite openings before the actual question ("请问…", "大家好，…")."""
    changed = True
    text = text.strip(_PUNCT_EDGE)
    while changed and text:
        changed = False
        for prefix in _POLITE_BY_FIRST.get(text[0], ()):
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :].lstrip(_PUNCT_EDGE)
                changed = True
                break
    return text


# A clause that only greets, apologises or thanks ("不好意思打扰下", "老板你好", "谢谢老板上次
# 帮忙", "麻烦了"): it says nothing of what is asked, wherever it stands in the message.
_COURTESY_CLAUSE = re.compile(
    r"^(?:(?:不好意思|抱歉|打扰(?:了|一下|下)?|麻烦(?:了|你了|您了|大家了|各位了)?|辛苦(?:了|啦)?|"
    r"(?:老板|店长|师傅|老师|大家|各位|群主|亲们?)?(?:你好|您好)|(?:老板|店长|师傅|老师|大家|各位)好|"
    r"老板|店长|师傅|各位|大家)[啊呀哈啦了呢哦~～]*)+$"
    # thanks addressed to someone, not a clause that names what was done ("谢谢群主发的回放"
    # still says what the question is about)
    r"|^(?:谢谢|感谢|多谢)(?:你|您|你们|老板|店长|师傅|老师|大家|各位|群主|亲)?(?:了|啦|啊|哈|哈哈|呀)*$"
)
# Where a member turns from the story to the question ("…现在推着走呢，想问下补个胎多少钱",
# "…就是想问问啥时候能好"): the lead-in is a clause break, and no word of the question.
_LEAD_IN = re.compile(
    r"(?:就是|还|也|我|那个)?(?:想问(?:一下|下|问)?|请问(?:一下|下)?|顺便问(?:一下|下)?)"
    r"|(?:^|(?<=[，,。.;；!！~～ ]))(?:麻烦)?问(?:一下|下)"
)
_CLAUSE_SPLIT = re.compile(r"([，,。.;；!！~～ ]+)")


def drop_courtesy(text: str) -> str:
    """The message without its greeting, apology and thanks clauses, its lead-ins to the
    question made clause breaks (the text as it was when nothing else would be left)."""
    if _LEAD_IN.search(text):
        text = _LEAD_IN.sub("，", text).strip(_PUNCT_EDGE)
    parts = _CLAUSE_SPLIT.split(text)
    kept: list[str] = []
    for k in range(0, len(parts), 2):
        clause = parts[k]
        if clause and _COURTESY_CLAUSE.match(clause):
            continue
        kept.append(clause)
        if k + 1 < len(parts):
            kept.append(parts[k + 1])
    out = "".join(kept).strip(_PUNCT_EDGE)
    return out if len(out) >= 2 else text


# Texts up to this length have their answer remembered (the same short texts come often).
QUESTION_MEMO_MAX_CHARS = 200


def looks_like_question(text: str) -> bool:
    """Cheap, pure test: does the text ask something? (No tokenizer: runs on every message.)"""
    if len(text) > QUESTION_MEMO_MAX_CHARS:
        return _looks_like_question(text)
    return _remembered_question(text)


def _looks_like_question(text: str) -> bool:
    body = normalize(text)
    if not body or len(body) > 300 or body.startswith("/"):
        return False
    if _ASKING_START.match(body):
        return len(strip_politeness(body)) >= 2
    body = _TRAILING_SYMBOLS.sub("", strip_politeness(body))
    if len(body) < 2 or _LAUGH.match(body):
        return False
    body = without_whether_or_not(body)
    asks = _ASKING_END.search(body) is not None or _ASKING_NOT.search(body) is not None
    asks = asks or _SEND_REQUEST.search(body) is not None
    asks = asks or (_REQUEST.search(body) is not None and not told_not_now(body))
    asks = asks or asks_without_question_word(body) or request_wish(body)
    if _RHETORICAL.search(body) and not body.endswith(("?", "？")):
        return False
    if _EXCLAIMED.search(body) and _ASKING_WORDS.search(body) is None:
        return False
    return asks or _ASKING_WORDS.search(body) is not None


# A query term with at least this prior is a topic: one must match for an answer.
ANCHOR_PRIOR = 0.75


def term_prior(term: str) -> float:
    """How much a term can say about a topic, before corpus statistics."""
    if term in INTENT_TERMS:
        return 0.45
    if term in EVENT_TERMS:
        return 0.7
    if term in GENERIC_TERMS:
        return ANCHOR_PRIOR
    if NUMBER.match(term) or CHINESE_AMOUNT.match(term):
        return 0.35
    if term in DEICTIC_TERMS:
        return 0.4
    if len(term) == 1:
        return 0.5
    return 1.0


@dataclass(frozen=True)
class Analysis:
    text: str  # normalised, politeness stripped
    question: bool
    terms: tuple[str, ...]  # canonical content terms in order (may repeat)
    surface: str  # content tokens joined (canonical where the lexicon knows them), for n-grams
    tokens: tuple[str, ...] = ()  # the tokenizer's cut of `text`


class Analyzer:
    """jieba plus the lexicon. Build once per process (`shared_analyzer()`); it is read-only."""

    def __init__(self) -> None:
        jieba = _import_jieba()
        jieba.setLogLevel(logging.WARNING)
        tokenizer: Any = jieba.Tokenizer()
        tokenizer.initialize()
        self._lexicon_added: set[str] = set()
        for word in _SURFACE:
            if len(word) > 1:
                if not tokenizer.FREQ.get(word):
                    self._lexicon_added.add(word)
                tokenizer.add_word(word, freq=max(tokenizer.FREQ.get(word, 0) or 0, 30000))
        self._tokenizer = tokenizer
        self._cache: dict[str, Analysis] = {}
        self._learned: set[str] = set()
        # Counts the times the tokenizer learned new words: what was read before may be
        # cut differently now (callers that remember results compare it).
        self.generation = 0

    def learn(self, words: Iterable[str]) -> None:
        """Teach the tokenizer a community's own words (its theme keywords)."""
        added = False
        for word in words:
            word = normalize(word)
            if len(word) > 1 and word not in self._learned:
                self._tokenizer.add_word(word, freq=30000)
                self._learned.add(word)
                added = True
        if added:
            self._cache.clear()
            self.generation += 1

    def is_real_word(self, word: str) -> bool:
        """A common dictionary word (never "repaired" as a homophone typo)."""
        freq: int = self._tokenizer.FREQ.get(word, 0) or 0
        return freq >= REAL_WORD_FREQ and word not in self._lexicon_added

    def surfaces(self) -> list[str]:
        """Every surface form the lexicon knows (for the homophone vocabulary)."""
        return list(_SURFACE)

    def discover(self, texts: Iterable[str], min_count: int = 2) -> list[str]:
        """A community's own words the dictionary lacks, found in its FAQ texts.

        Two single-character content tokens that stand next to each other at least
        `min_count` times (跑 + 衫 in "领跑衫", "一件跑衫") are most likely one word the
        dictionary does not know; as one token they can anchor a match.
        """
        counts: dict[str, int] = {}
        for text in texts:
            tokens = self.tokens(strip_politeness(normalize(text)))
            for a, b in itertools.pairwise(tokens):
                if _single_content(a) and _single_content(b):
                    counts[a + b] = counts.get(a + b, 0) + 1
        return sorted(w for w, c in counts.items() if c >= min_count)

    def tokens(self, text: str) -> list[str]:
        return [t for t in self._tokenizer.lcut(text, HMM=False) if t.strip()]

    def canonical(self, token: str) -> tuple[str, ...]:
        """A token's canonical terms; () for stopwords and punctuation."""
        return _remembered_canonical(token)

    def analyze(self, text: str, *, question: bool | None = None, cache: bool = True) -> Analysis:
        """Analyse a message; `question` overrides the intent test (FAQ phrasings)."""
        use_cache = cache and question is None
        cached = self._cache.get(text) if use_cache else None
        if cached is not None:
            return cached
        body = drop_courtesy(strip_politeness(normalize(text)))
        terms: list[str] = []
        bare_quit = bare_stop = -1
        cut = _join_own_supply(_join_separable(self.tokens(body)))
        canonical = _remembered_canonical
        for token in cut:
            if token == "退":
                bare_quit = len(terms)
            elif token == "停":
                bare_stop = len(terms)
            terms.extend(canonical(token))
        if bare_quit >= 0 and not _PAID_FOR.isdisjoint(terms):
            terms[bare_quit] = "退款"  # 钱能退吗, 课能退吗: a bare 退 of something paid for
        if bare_stop >= 0 and any("车" in t for t in cut):
            terms[bare_stop] = "停车"  # 开车去有地方停吗: a bare 停 of a vehicle is parking
        asked = looks_like_question(text) if question is None else question
        result = Analysis(body, asked, tuple(terms), "".join(terms), tuple(cut))
        if use_cache:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[text] = result
        return result

    def terms_of(self, text: str) -> tuple[str, ...]:
        return self.analyze(text, question=False).terms

    def vocabulary_sample(self, n: int, rng: random.Random) -> list[str]:
        """n common two-to-four character Chinese words of the dictionary (for benchmarks)."""
        freq: dict[str, int] = self._tokenizer.FREQ
        words = sorted(
            w
            for w, f in freq.items()
            if f >= 200 and 2 <= len(w) <= 4 and _has_cjk(w) and w not in _SURFACE
        )
        return rng.sample(words, min(n, len(words)))


def _join_separable(tokens: list[str]) -> list[str]:
    """洗 个 澡 -> 洗澡: a separable verb cut apart by what stands between its halves
    (and 多 远 -> 多远: one measure asked)."""
    tokens = _join_measure(tokens)
    if len(tokens) < 3:
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        verb = tokens[i]
        joined = False
        if len(verb) == 1:
            j = i + 1
            while j < len(tokens) and j <= i + 2 and _SEPARATOR.match(tokens[j]):
                j += 1
            if i + 1 < j < len(tokens) and verb + tokens[j] in _SEPARABLE:
                out.append(verb + tokens[j])
                i = j + 1
                joined = True
        if not joined:
            out.append(verb)
            i += 1
    return out


def _join_measure(tokens: list[str]) -> list[str]:
    """多 远 -> 多远: 多 and an adjective cut apart ask one measure."""
    if "多" not in tokens:
        return tokens
    out: list[str] = []
    for token in tokens:
        if token in _MEASURE_ADJECTIVES and out and out[-1] == "多":
            out[-1] = "多" + token
        else:
            out.append(token)
    return out


def _join_own_supply(tokens: list[str]) -> list[str]:
    """自己 买 -> 自己买: one word that says the member brings or buys it (准备: 自备)."""
    if "自己" not in tokens:
        return tokens
    out: list[str] = []
    for token in tokens:
        if out and out[-1] == "自己" and token in _PROVIDE:
            out[-1] += token
        else:
            out.append(token)
    return out


def _canonical(token: str) -> tuple[str, ...]:
    token = token.strip(_PUNCT_EDGE)
    if not token:
        return ()
    if token.startswith("自己") and token[2:] in _PROVIDE:
        # 自己买 is 准备 (自备) and still a purchase; 自己带, 自己准备 likewise.
        return (OWN_SUPPLY, *_canonical(token[2:]))
    mapped = _SURFACE.get(token) or _NEAR.get(token)
    if mapped is not None:
        return mapped
    if token in STOPWORDS:
        return ()
    split = _SPLIT_WORD.match(token)
    if split is not None:
        return _canonical(split[1] + split[2])  # 冷不冷 asks whether it is 冷
    if _WHICH_FLOOR.match(token):
        return ("地点",)  # 几楼, 几号线: which floor or line is where a place is
    if _MEASURE_WORD.match(token):
        return ()  # 多远, 有多深: how the question asks (its slot), not what it is about
    if token.endswith("岁") and CHINESE_AMOUNT.match(token):
        return (token, "年龄")  # 三岁 is an age
    if not (NUMBER.match(token) or _LATIN.match(token) or _has_cjk(token)):
        return ()
    if len(token) > 1 and token.endswith("费"):  # 报名费, 课时费: a fee of something
        head = token[:-1]
        return (*_SURFACE.get(head, (head,)), "费用")
    return (token,)


def _single_content(token: str) -> bool:
    return len(token) == 1 and _has_cjk(token) and token not in STOPWORDS


def _has_cjk(token: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in token)


def _import_jieba() -> Any:
    """jieba, imported without pkg_resources (about 10 MB held for the life of the process,
    and slow to import). jieba uses it only to open its own dictionary file, and opens the
    file by path when pkg_resources cannot be imported; the dictionary is the same file."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba

        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


_shared: Analyzer | None = None
_lock = threading.Lock()


def shared_analyzer() -> Analyzer:
    """The process-wide analyzer (loading jieba's dictionary takes about a second, once)."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = Analyzer()
    return _shared


# looks_like_question's memory of short texts (defined here, after everything it uses).
_remembered_question = functools.lru_cache(maxsize=8192)(_looks_like_question)
# canonical's memory of tokens: a pure function of the token and the fixed lexicon, asked
# for every token of every message by the analyser and again by the intent reading.
_remembered_canonical = functools.lru_cache(maxsize=20_000)(_canonical)
