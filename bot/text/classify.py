"""The message classifier behind off-topic nudges and ad control: on / social / off / spam.

Built once per theme (name, description, keywords, example messages from config.yaml) and
then pure, in-memory and fast: one normalisation, one leftmost-longest scan of a word table
(theme terms, the group's own matters, everyday off-topic domains, spam offer words) and a
few regular expressions. jieba is used only when a classifier is built, to cut the theme's
description and examples into words.

Decision, in order:
1. spam  -- the spam rules (bot/text/spam.py) reach their threshold;
2. social -- the message is only greetings, thanks, acknowledgements, laughter or emoji;
3. off   -- it clearly belongs to an everyday domain (food, stocks, games...) and carries no
            real theme signal: domain points >= 1 + (0.5 + theme points when there are any),
            theme points < 0.6. Theme points come from keywords, the name, description and
            example words, the group's own matters, characters several theme words share
            (stems), uncommon characters of the theme's words, and the words and phrases of
            a domain the theme itself belongs to (derived from the theme's words, see
            ``domain_affinity``), which is never off-topic evidence. A domain where the
            theme's activity takes place (``near_domains``: the weather for a ski group)
            counts half; a feeling taken back ("累，但是值了") does not count;
4. on    -- everything else (the benefit of the doubt goes to the member).

Every verdict carries its reasons, for the operator's log.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from bot.settings.base import ThemeSettings
from bot.text import spam as spam_rules
from bot.text.domains import (
    COMMON_CHARS,
    DOMAINS,
    FILLERS,
    GENERIC_WORDS,
    GROUP_MATTERS,
    SOCIAL_WORDS,
    words,
)
from bot.text.spam import SPAM_THRESHOLD, Signal

Label = Literal["on", "social", "off", "spam"]
LABELS: tuple[Label, ...] = ("on", "social", "off", "spam")

# Theme term weights by source. A theme score of VETO or more keeps a message from being
# called off-topic, whatever else it mentions.
W_KEYWORD = 1.0
W_NAME = 1.0
W_MATTER = 0.8
W_DESCRIPTION = 0.6
W_KEYWORD_PART = 0.5
W_EXAMPLE = 0.4
# A word of the group's FAQ questions: what members have asked about (the venue's parking, a
# fee, a product the group uses) is the group's business, like an example word.
W_FAQ = 0.4
W_STEM = 0.3
# A word or phrase of a domain the theme belongs to (a fitness group and "减肥", a thrift group
# and "满减"): the theme's own field, as good as a description word; its weak words less.
W_OWN_DOMAIN = 0.6
W_OWN_DOMAIN_WEAK = 0.3
# A character of the theme's words that is not among the most common ones ("琴" from 曲谱 and
# 钢琴, "谱" from 曲谱), found outside any matched word: a little theme evidence each, capped
# below VETO so that characters alone only ask for more off-topic evidence.
W_CHAR = 0.2
CHAR_CAP = 0.4
VETO = 0.6
# A domain whose affinity with the theme reaches this is the theme's own (switched off).
SUPPRESS_AT = 1.5
# ... and one whose affinity reaches this (a keyword belongs to it) borders on the theme.
ADJACENT_AT = 1.0
# A domain the theme's kind of activity takes place in (see ``near_domains``) is adjacent:
# its words count this much of their weight.
W_ADJACENT = 0.5
# A message is off-topic when its domain points exceed its theme points by OFF_MIN (a weak
# theme signal, such as "写" in a writing group, asks for more evidence) and its theme
# points stay under VETO.
OFF_MIN = 1.0
# One theme word in passing does not hold against this much everyday evidence, and this
# many times its own weight.
OUTWEIGH_MIN = 3.0
OUTWEIGH_RATIO = 3.0
# Any theme evidence at all (a stem, a character) asks for this much more domain evidence.
THEMED_EXTRA = 0.5
# Characters too common to stand for a theme on their own.
_STOP_CHARS = frozenset(
    "的了是在有和与及或就都也还很太吗呢吧啊呀哦么什怎个一不人大小多少上下中日月年天时我你他她它们这那子儿"
    "学生会家出来去说到要能可对以为后前里外自动互量单用行发心分开方法习复备地得过着看想做好新老每"
)
SOCIAL_MAX_CHARS = 16
SCAN_CHARS = 1000  # longer texts are judged on their beginning

GROUP_QUESTION_MAX_CHARS = 24
_GROUP_QUESTION = re.compile(
    r"(?:可以|能|能不能|可不可以)(?:带|参加|报名|请假|补)"
    r"|带[^，。,.!?？！]{1,4}(?:一起)?(?:去|来|参加)"
    r"|(?:几点|在哪|哪里|什么时候)(?:集合|见面|开始|出发|截止|交)"
    r"|(?:群里|群内|咱们群|本群|这个群)[^，。,.!?？！]{0,6}(?:规则|规定|要求|可以|能不能)"
    r"|(?:活动|聚会|集合|课)[^，。,.!?？！]{0,2}(?:取消|照常|改期|延期|推迟|还办|还去|还上)"
    # whether the session still takes place ("周五下雨还开吗", "明天照常吗")
    r"|还(?:开|办|练|上课|照常|继续)(?:吗|么|不|没|啊|呢)|照常(?:吗|么|进行|不)"
    # what to wear or bring to it, how to get there ("开车去的话哪里停车方便", "有人一起打车
    # 过去吗"; a trip told, "打车过去医院排了三小时", asks nothing)
    r"|穿什么|要穿|统一穿|带什么|要带|去的话|停车方便|好停车|哪里停车"
    r"|(?:打车|开车|骑车|坐车|拼车|蹭车|走路)[^，。,.!?？！]{0,4}过(?:去|来)"
)
# Saying one cannot come (or comes late) to the group's session: about the group's doings
# ("来": to us; going elsewhere, 去不了, is everyday chat).
_ATTENDANCE = re.compile(
    r"来不了|不能来|没法来|过不来|晚点到|晚点来|晚到|[才就]能到|(?:会|要|可能|得)迟到|早退"
    r"|(?:给我|帮我)?留个?位置?|占个[位座]|快到了|马上到"
    r"|晚(?:[\d一二两三四五六七八九十半几]+|一点|一会儿?)个?(?:分钟|小时|钟头)?(?:到|来)"
    # leave asked of the group, the message's last word ("下周我出差，请个假")
    r"|请个?假[。.!！~～啦哈]*$"
    # bringing something for everyone ("明天我带点水果过去给大家")
    r"|(?:带|拿|送)[^，。,.!?？！]{0,6}过(?:去|来)给?大家"
)
_QUESTION = re.compile(r"[?？]|吗|么|嘛|呢|几点|在哪|哪里|什么时候|能不能|可不可以")
# A question, or a choice put to the group ("值不值得入手，还是先买铝架").
_ASKS_TO_CHOOSE = re.compile(
    r"[?？]|吗|呢|值不值|要不要|好不好|哪个|哪款|哪家|哪种|哪里|在哪|推荐|还是|求"
)
# A message led by a social act: congratulations ("恭喜你家宝宝满月", "祝贺王姐的孙子考上大
# 学"), an apology ("不好意思，刚在开会没看到"), a greeting ("早上好，今天降温了大家注意保
# 暖"), thanks, agreement. What follows is the occasion of the act, glue like the act itself.
_CONGRATULATION_LEAD = re.compile(r"^(?:恭喜|祝贺|祝你|祝您|祝大家|祝各位|祝福)")
# Season's wishes and what goes with them ("端午安康，粽子吃了吗", "国庆快乐，出去玩的注意安全").
_WISHES_LEAD = re.compile(
    r"^(?:大家)?(?:新年|春节|元宵节?|端午节?|中秋节?|国庆节?|冬至|元旦|圣诞节?|七夕|除夕|周末"
    r"|节日|教师节|妇女节|劳动节|儿童节|重阳节?|腊八|小年|假期)(?:快乐|安康|愉快)|^(?:新年|过年)好"
)
_SOCIAL_LEAD = re.compile(
    r"^(?:不好意思|抱歉|对不起|sorry|早上好|早安|午安|下午好|晚上好|晚安|大家好|谢谢|感谢|多谢"
    r"|同意|\+1|说得对|说的对|有道理|赞同)"
)
# ... unless it only opens a question ("不好意思问一下，哪家火锅好吃") or turns to a view of
# its own ("谢谢，不过我觉得股票还会跌").
_ASKS = re.compile(r"[?？]|吗|么|呢|问|请教|打听|谁知道|有没有|哪|不过|但是|可是|然而")
SOCIAL_LEAD_MAX_CHARS = 30
# A person one does something with ("我和女朋友在家玩", "带我妈来"): the company of a
# message, not its subject. A relationship word in that frame counts this much.
RELATIONSHIPS = "relationships"
W_COMPANION = 0.5
_COMPANION = re.compile(r"(?:和|跟|带|陪|与|同|带着|陪着)(?:我|我家|我的|自家)?$")
_MENTION = re.compile(r"@\S+?(?:[\u2005\u2004\s]|$)")
_SPACES = re.compile(r"\s+")
_WECHAT_EMOJI = re.compile(r"\[[^\[\]\s]{1,6}\]")
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff+]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, @mentions dropped, one space."""
    text = unicodedata.normalize("NFKC", text[:SCAN_CHARS]).lower()
    if "@" in text:
        text = _MENTION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Verdict:
    """A label and what led to it. The reason strings are built only when asked for (a
    log line that is not emitted costs nothing)."""

    label: Label
    spam_points: int = 0
    off_score: float = 0.0
    theme_score: float = 0.0
    signals: tuple[Signal, ...] = field(default=(), repr=False)
    domains: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), repr=False)
    themes: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (word, source)
    note: str = ""  # for social verdicts
    spam_threshold: int = SPAM_THRESHOLD

    @property
    def hard_evidence(self) -> bool:
        """A contact handle, phone number, link or QR code among the spam signals: what a
        public warning needs (offer words alone are worth a note to admins at most)."""
        return spam_rules.has_hard_evidence(self.signals)

    @cached_property
    def reasons(self) -> tuple[str, ...]:
        by_points = sorted(self.signals, key=lambda s: -s.points)
        if self.label == "spam":
            return tuple(str(s) for s in by_points)
        if self.label == "social":
            return (self.note, *(str(s) for s in by_points))
        domain = "; ".join(f"{name}: {','.join(ws)}" for name, ws in self.domains)
        theme = (
            "theme: " + ",".join(f"{w}({src})" for w, src in self.themes)
            if self.themes
            else "no theme word"
        )
        out = [theme]
        if self.label == "off":
            out.insert(0, f"off-topic {domain}")
        elif self.domains:
            weighed = "theme outweighs" if self.theme_score >= VETO else "weak"
            out.insert(0, f"on: {weighed} {domain}")
        if self.signals:
            spam = ",".join(map(str, self.signals))
            out.append(f"spam {self.spam_points}<{self.spam_threshold}: {spam}")
        return tuple(out)

    def explain(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "no signal"

    def __str__(self) -> str:
        return self.explain()


@dataclass(frozen=True)
class _Entry:
    kind: Literal["theme", "domain", "spam"]
    key: str  # theme source, domain name or spam category
    weight: float


# --- jieba, only while building ------------------------------------------------------------


def theme_tokens(text: str) -> list[str]:
    """Words of a theme text (description, example), cut by the process-wide jieba
    tokenizer that Q&A uses too (its dictionary is loaded once, on first use)."""
    from bot.text.normalize import shared_analyzer

    return shared_analyzer().tokens(normalize(text))


def domain_affinity(theme: ThemeSettings) -> dict[str, float]:
    """How much each everyday domain is the theme's own field, from the theme's words.

    Each keyword (and each word of the name) scores its best match in the domain: it IS a
    domain word, or mostly consists of one ("健身房" and "健身"), 1.0 (0.5 for a weak
    word); a partial overlap either way ("蛋糕" inside "蛋糕店") 0.5. Each domain word in the
    description or the examples adds 0.5. When the theme has keywords, one of them must
    belong to the domain. Generic: nothing here names a community.
    """
    keywords = {
        k
        for k in (unicodedata.normalize("NFKC", k).lower().strip() for k in theme.keywords)
        if len(k) >= 2
    }
    terms = keywords | {t for t in theme_tokens(theme.name) if _content_word(t) and len(t) >= 2}
    loose = normalize(" ".join((theme.description, *theme.examples)))
    scores: dict[str, float] = {}
    for domain in DOMAINS:
        strong = [w for w in words(domain.strong) if len(w) >= 2]
        weak = [w for w in words(domain.weak) if len(w) >= 2]
        score = 0.0
        by_keyword = False
        for term in terms:
            best = 0.0
            for word in strong:
                if word == term or (word in term and 2 * len(word) >= len(term)):
                    best = 1.0
                    break
                if word in term or term in word:
                    best = 0.5
            if best == 0.0 and term in weak:
                best = 0.5
            score += best
            by_keyword = by_keyword or (best > 0 and term in keywords)
        if keywords and not by_keyword:
            # the name and description set the scene ("幸福小区团购群" is about buying,
            # not about the neighbourhood): a field no keyword belongs to is not the theme's
            continue
        score += 0.5 * sum(1 for word in strong if word in loose and word not in terms)
        if score:
            scores[domain.name] = score
    return scores


def near_domains(theme: ThemeSettings) -> frozenset[str]:
    """Domains the theme's kind of activity takes place in (an outdoor or growing theme and
    the weather): a keyword, a word of the name or of the description contains one of the
    domain's ``near`` cues."""
    terms = [unicodedata.normalize("NFKC", k).lower() for k in theme.keywords]
    for text in (theme.name, theme.description):
        terms.extend(t for t in theme_tokens(text) if _content_word(t))
    return frozenset(
        domain.name
        for domain in DOMAINS
        if domain.near and any(cue in term for term in terms for cue in words(domain.near))
    )


# --- building ------------------------------------------------------------------------------

_SOCIAL = words(SOCIAL_WORDS)
_FILLER = words(FILLERS)
_GENERIC = frozenset(words(GENERIC_WORDS))


def _everyday_chars() -> frozenset[str]:
    """Characters of two or more everyday-domain words ("玩" in 玩游戏 and 出去玩): they speak
    for everyday chat as much as for a theme."""
    seen: dict[str, int] = {}
    for domain in DOMAINS:
        for word in {*words(domain.strong), *words(domain.weak)}:
            for char in set(word):
                seen[char] = seen.get(char, 0) + 1
    return frozenset(c for c, n in seen.items() if n >= 2)


_EVERYDAY_CHARS = _everyday_chars()
_SOCIAL_RE = re.compile(
    "^(?:"
    + "|".join(re.escape(w) for w in sorted({*_SOCIAL, *_FILLER}, key=len, reverse=True))
    + ")+$"
)
# A welcome: "欢迎小林加入", "欢迎新伙伴入群", "欢迎新拳友" -- a name or a short word, never an
# invitation to a shop ("欢迎光临", "欢迎咨询").
_WELCOME_RE = re.compile(
    r"^(?:热烈)?(?:欢迎)+(?:[\u4e00-\u9fffa-z0-9]{1,8}?(?:加入|入群|进群|来到|回归|回来|入营)"
    r"(?:本群|我们|大家庭|群聊)?|[\u4e00-\u9fffa-z0-9]{0,4})$"
)
_NOT_WELCOME = re.compile(r"光临|咨询|选购|订购|下单|购买|私聊|来电|联系|加我|进店|到店|扫码")


def _content_word(token: str) -> bool:
    token = token.strip()
    if len(token) < 2 or token in _GENERIC or token in _SOCIAL:
        return False
    return bool(_CJK.search(token)) or (token.isalnum() and not token.isdigit())


_FEELINGS = frozenset(d.name for d in DOMAINS if d.feeling)
# A feeling taken back by what follows: "累死了，但是风景太值了", "好累但是好开心".
_BUT_GLAD = re.compile(
    r"(?:但|但是|不过|可是)[^，。,.!?？！]{0,6}(?:开心|高兴|快乐|值了|值得|太值|好爽|很爽|过瘾|满足"
    r"|痛快|好玩|舒服|太美|好美|很美|收获)"
)
# How a grumble is told: something happened again (又堵了, 又没考好), one was wronged (被骂
# 了, 被扣钱), something is too much (太差, 好干), never ends (写不完). With everyday
# evidence and no theme word, the grumble is half a point more: a weak everyday word
# ("公司", "同事") is then enough ("今天公司又开了一下午的会").
COMPLAINT = "complaint"
W_COMPLAINT = 0.5
_GRUMBLE = re.compile(
    r"又[^，。,.!?？！]{0,6}了|又没|又不|被[^，。,.!?？！]{0,4}(?:骂|批评|扣|坑|罚|甩|催|说了一顿)"
    r"|(?:太|好|真|特别)(?:差|烦|坑|贵|慢|挤|干|咸|难受|折腾)"
    r"|[完到]不完|听不清|受不了|不想去|不想干|没法[^，。,.!?？！]{0,3}了"
)
SHOPPING = "shopping"
# Theme evidence that is only a character of the theme's words, not a word of it.
_HINT_SOURCES = frozenset({"char", "stem"})
# The theme texts that set the scene rather than name the subject.
_SETTING_SOURCES = frozenset({"name", "description"})
# Buying is how a member gets a theme item, not a topic of its own: with theme evidence in
# the message ("在淘宝买的线色差好大" in a knitting group), shopping counts at most this.
W_SHOPPING_FRAME = 0.5
# A shop's promotion ("满三百减五十"): an event of shopping, not a question about an object.
_PROMOTION = re.compile(r"满[\d一二两三四五六七八九十百千]+减|促销")


def _shopping_discount(
    text: str, domains: dict[str, dict[str, float]], phrases: set[str], theme: float
) -> float:
    """How much of the shopping domain's points to take back. A question whose only
    everyday evidence is the wish to buy ("冲锋衣哪个牌子值得买？", "哪里能买到靠谱的苗？")
    asks about an object the group knows better than any shop: shopping counts nothing. With
    theme evidence, buying is the frame around a theme item: it counts at most
    ``W_SHOPPING_FRAME``. Shopping events and platforms (双十一, 淘宝) without theme
    evidence stay everyday chat."""
    shopping = domains[SHOPPING]
    points = sum(shopping.values())
    strong = any(w >= 1.0 and word not in phrases for word, w in shopping.items()) or (
        _PROMOTION.search(text) is not None
    )
    if len(domains) == 1 and not strong and _ASKS_TO_CHOOSE.search(text) is not None:
        return points
    if theme > 0 and points > W_SHOPPING_FRAME:
        return points - W_SHOPPING_FRAME
    return 0.0


class TopicClassifier:
    """Classifies one group's messages. Immutable after construction; share it freely."""

    def __init__(
        self,
        theme: ThemeSettings,
        *,
        off_topic_words: Sequence[str] = (),
        spam_words: Sequence[str] = (),
        whitelist_domains: Sequence[str] = (),
        spam_threshold: int = SPAM_THRESHOLD,
        faq_questions: Sequence[str] = (),
    ) -> None:
        self.theme = theme
        self.whitelist_domains = tuple(
            d.lower().strip().removeprefix("www.") for d in whitelist_domains
        )
        self.spam_threshold = spam_threshold
        affinity = domain_affinity(theme)
        self.suppressed = frozenset(n for n, score in affinity.items() if score >= SUPPRESS_AT)
        self.theme_terms = self._theme_terms(theme, self._everyday_words(self.suppressed))
        for question in faq_questions:
            for token in theme_tokens(question):
                word = unicodedata.normalize("NFKC", token).lower().strip()
                if _content_word(word) and word not in self.theme_terms:
                    self.theme_terms[word] = (W_FAQ, "faq")
        # Where the theme's activity takes place (a ski group and the weather): its words
        # are weaker off-topic evidence, one of them alone makes no message off-topic.
        # A domain one of the keywords belongs to, short of being the theme's own (a concert
        # group's 演唱会 among the shows, a collectors' 开箱 among the shopping): the theme
        # borders on it, and its words are weaker evidence too.
        bordering = {n for n, score in affinity.items() if ADJACENT_AT <= score < SUPPRESS_AT}
        self.adjacent = (near_domains(theme) | bordering) - self.suppressed
        self.theme_chars = self._theme_chars(theme, self.theme_terms)
        table: dict[str, list[_Entry]] = {}

        def add(word: str, entry: _Entry) -> None:
            word = unicodedata.normalize("NFKC", word).lower().strip()
            if word:
                table.setdefault(word, []).append(entry)

        for domain in DOMAINS:
            if domain.name in self.suppressed:
                # the theme's own field: its words are weak theme evidence, and they still
                # shadow shorter words of other domains ("宠物医院" is not "医院")
                for word in words(domain.strong):
                    add(word, _Entry("theme", "own domain", W_OWN_DOMAIN))
                for word in words(domain.weak):
                    add(word, _Entry("theme", "own domain", W_OWN_DOMAIN_WEAK))
                continue
            scale = W_ADJACENT if domain.name in self.adjacent else 1.0
            for word in words(domain.strong):
                add(word, _Entry("domain", domain.name, scale))
            for word in words(domain.weak):
                add(word, _Entry("domain", domain.name, 0.5 * scale))
        for word in off_topic_words:
            add(word, _Entry("domain", "configured", 1.0))
        # the group's own members named (宝妈 in a mothers' group) are no lure
        theme_text = normalize(" ".join((theme.name, theme.description, *theme.keywords)))
        own_audience = {w for w in spam_rules.AUDIENCE_WORDS if w in theme_text}
        for category, (_, block) in spam_rules.SPAM_WORDS.items():
            for word in words(block):
                if word not in own_audience:
                    add(word, _Entry("spam", category, 0.0))
        for word in spam_words:
            add(word, _Entry("spam", "operator", 0.0))
        for word, (weight, source) in self.theme_terms.items():
            # a theme word is never evidence of an off-topic domain
            kept = [e for e in table.get(word, []) if e.kind == "spam"]
            table[word] = [*kept, _Entry("theme", source, weight)]
        self._table = {w: tuple(es) for w, es in table.items() if es}
        # the lengths of the words (two characters or more) by their first two characters
        lengths: dict[str, set[int]] = {}
        for word in self._table:
            if len(word) >= 2:
                lengths.setdefault(word[:2], set()).add(len(word))
        self._lengths = {p: tuple(sorted(ls, reverse=True)) for p, ls in lengths.items()}
        self._domain_patterns = tuple(
            (d.name, re.compile(p))
            for d in DOMAINS
            if d.name not in self.suppressed
            for p in d.patterns
        )
        self._own_patterns = tuple(
            re.compile(p) for d in DOMAINS if d.name in self.suppressed for p in d.patterns
        )

    # -- the theme ----------------------------------------------------------------------------

    @staticmethod
    def _everyday_words(suppressed: frozenset[str]) -> frozenset[str]:
        return frozenset(
            w
            for d in DOMAINS
            if d.name not in suppressed
            for w in (*words(d.strong), *words(d.weak))
        )

    @staticmethod
    def _theme_terms(
        theme: ThemeSettings, everyday: frozenset[str] = frozenset()
    ) -> dict[str, tuple[float, str]]:
        terms: dict[str, tuple[float, str]] = {}

        def put(word: str, weight: float, source: str) -> None:
            word = unicodedata.normalize("NFKC", word).lower().strip()
            if not word or (len(word) < 2 and weight > W_STEM):
                return  # single characters only as stems
            if source in _SETTING_SOURCES and word in everyday:
                # "小区" in the name 幸福小区团购群, "咖啡馆" in a description: where the
                # group meets or who it is for, an everyday word no keyword makes the
                # theme's; theme evidence like an example word, not enough alone
                weight = min(weight, W_EXAMPLE)
            if weight > terms.get(word, (0.0, ""))[0]:
                terms[word] = (weight, source)

        for word in words(GROUP_MATTERS):
            put(word, W_MATTER, "matter")
        for example in theme.examples:
            for token in theme_tokens(example):
                if _content_word(token):
                    put(token, W_EXAMPLE, "example")
        for token in theme_tokens(theme.description):
            if _content_word(token):
                put(token, W_DESCRIPTION, "description")
        for keyword in theme.keywords:
            kw = unicodedata.normalize("NFKC", keyword).lower().strip()
            if len(kw) >= 3 and _CJK.search(kw):
                for i in range(len(kw) - 1):
                    part = kw[i : i + 2]
                    if _content_word(part):
                        put(part, W_KEYWORD_PART, "keyword")
        # "写" when the keywords say 写作 and 写手: a verb or noun the theme is built on
        # (or 稿 from 稿子, 投稿 and 稿费: any position)
        # Sources: the keywords and the content words of the name and the description.
        sources = {unicodedata.normalize("NFKC", k).lower().strip() for k in theme.keywords} | {
            t
            for text in (theme.name, theme.description)
            for t in theme_tokens(text)
            if _content_word(t)
        }
        firsts: dict[str, int] = {}
        for kw in sources:
            if len(kw) >= 2:
                for char in set(kw):
                    if _CJK.match(char) and char not in _STOP_CHARS:
                        firsts[char] = firsts.get(char, 0) + 1
        for char, count in firsts.items():
            if count >= 2:
                put(char, W_STEM, "stem")
        for token in theme_tokens(theme.name):
            if _content_word(token):
                put(token, W_NAME, "name")
        for keyword in theme.keywords:
            if keyword.strip():
                put(keyword, W_KEYWORD, "keyword")
        return terms

    @staticmethod
    def _theme_chars(theme: ThemeSettings, terms: dict[str, tuple[float, str]]) -> frozenset[str]:
        sources = [unicodedata.normalize("NFKC", k).lower() for k in theme.keywords]
        for text in (theme.name, theme.description):
            sources.extend(t for t in theme_tokens(text) if _content_word(t))
        return frozenset(
            char
            for source in sources
            for char in source
            if _CJK.match(char)
            and char not in COMMON_CHARS
            and char not in _EVERYDAY_CHARS
            and char not in _STOP_CHARS
            and char not in terms  # already a stem
        )

    # -- classifying --------------------------------------------------------------------------

    def scan(
        self, text: str, loose: set[str] | None = None
    ) -> list[tuple[str, tuple[_Entry, ...]]]:
        """Leftmost-longest, non-overlapping matches of the word table. Theme characters
        outside any match are added to ``loose`` when given."""
        table, by_pair, chars = self._table, self._lengths, self.theme_chars
        hits: list[tuple[str, tuple[_Entry, ...]]] = []
        i, n = 0, len(text)
        while i < n:
            sizes = by_pair.get(text[i : i + 2])
            if sizes is not None:
                for size in sizes:
                    entries = table.get(text[i : i + size])
                    if entries is not None:
                        hits.append((text[i : i + size], entries))
                        i += size
                        break
                else:
                    sizes = None
            if sizes is None:
                char = text[i]
                entries = table.get(char)
                if entries is not None:
                    hits.append((char, entries))
                elif loose is not None and char in chars and self._char_counts(text, i):
                    loose.add(char)
                i += 1
        return hits

    @staticmethod
    def _char_counts(text: str, i: int) -> bool:
        """A theme character inside a generic word ("推" in "推荐") is no theme evidence."""
        return text[max(i - 1, 0) : i + 1] not in _GENERIC and text[i : i + 2] not in _GENERIC

    def is_social(self, text: str) -> bool:
        if len(text) > 4 * SOCIAL_MAX_CHARS:
            return False
        body = _NOT_WORD.sub("", _WECHAT_EMOJI.sub("", text))
        if not body:
            return bool(text)  # emoji, stickers or punctuation only
        if len(body) > SOCIAL_MAX_CHARS:
            return False
        if _SOCIAL_RE.match(body) is not None:
            return True
        return (
            body.startswith(("欢迎", "热烈欢迎"))
            and _WELCOME_RE.match(body) is not None
            and _NOT_WELCOME.search(body) is None
        )

    @staticmethod
    def _led_by_social_act(text: str) -> bool:
        """Congratulations, whatever follows; season's wishes with a short remark; an
        apology, greeting, thanks or agreement followed by a short remark that asks nothing."""
        if _CONGRATULATION_LEAD.match(text) is not None:
            return True
        if len(text) <= SOCIAL_LEAD_MAX_CHARS and _WISHES_LEAD.match(text) is not None:
            return True
        return (
            len(text) <= SOCIAL_LEAD_MAX_CHARS
            and _SOCIAL_LEAD.match(text) is not None
            and _ASKS.search(text) is None
        )

    @staticmethod
    def _theme_in_passing(
        text: str, domains: dict[str, dict[str, float]], themes: dict[str, tuple[float, str]]
    ) -> bool:
        """One theme word, and everyday evidence (shopping aside: buying is how members get
        a theme item) of OUTWEIGH_MIN and OUTWEIGH_RATIO times the theme's weight, in a
        message that asks the group nothing."""
        named = [w for w, src in themes.values() if src not in _HINT_SOURCES]
        if len(named) != 1:
            return False
        everyday = sum(sum(ws.values()) for name, ws in domains.items() if name != SHOPPING)
        return (
            everyday >= OUTWEIGH_MIN
            and everyday >= OUTWEIGH_RATIO * sum(w for w, _ in themes.values())
            and _ASKS_TO_CHOOSE.search(text) is None
        )

    def classify(
        self, raw: str, *, is_image: bool = False, context: Signal | None = None
    ) -> Verdict:
        """Label one message. ``context`` is a recent promotional signal from the same sender
        (an image right after "有需要的加我" is judged with it)."""
        text = normalize(raw)
        plain = text
        if not is_image and self.is_social(text):
            return Verdict("social", note="greeting/thanks/acknowledgement/emoji")
        text = spam_rules.fold_symbols(text)
        spam_words: dict[str, list[str]] = {}
        domains: dict[str, dict[str, float]] = {}
        themes: dict[str, tuple[float, str]] = {}
        loose: set[str] = set()
        for word, entries in self.scan(text, loose):
            for entry in entries:
                if entry.kind == "spam":
                    spam_words.setdefault(entry.key, []).append(word)
                elif entry.kind == "domain":
                    domains.setdefault(entry.key, {})[word] = entry.weight
                else:
                    themes[word] = (entry.weight, entry.key)
        structural = spam_rules.structural_signals(
            text,
            self.whitelist_domains,
            is_image=is_image,
            disguised=spam_rules.has_disguised_digits(raw[:SCAN_CHARS]),
        )
        if is_image and context is not None:
            structural.append(Signal("image_after_promo", 10, context.evidence))
        signals = tuple(spam_rules.combine(structural, spam_words, text))
        points = spam_rules.total(signals)
        threshold = self.spam_threshold
        if points >= threshold:
            return Verdict("spam", points, signals=signals, spam_threshold=threshold)
        if is_image:
            return Verdict(
                "social", points, signals=signals, note="image", spam_threshold=threshold
            )
        if RELATIONSHIPS in domains:
            people = domains[RELATIONSHIPS]
            for word in people:
                at = text.find(word)
                if at > 0 and _COMPANION.search(text[max(at - 4, 0) : at]) is not None:
                    people[word] = min(people[word], W_COMPANION)
        if self._own_patterns and domains:
            # "外卖花了八百" in a thrift group: a phrase of the theme's own field
            for own in self._own_patterns:
                found = own.search(text)
                if found is not None:
                    themes.setdefault(found.group(0), (W_OWN_DOMAIN, "own domain"))
                    break
        if loose:
            for char in sorted(loose)[: int(CHAR_CAP / W_CHAR + 0.5)]:
                themes.setdefault(char, (W_CHAR, "char"))
        theme = sum(w for w, _ in themes.values())
        if domains and (
            any(src != "char" for _, src in themes.values())
            or (_FEELINGS.intersection(domains) and _BUT_GLAD.search(text) is not None)
        ):
            # a complaint about a theme matter is about the theme (a loose character of a
            # theme word, "错" of 报错, does not make one); "tired but worth it" reports on
            # an outing, it is no complaint
            for name in _FEELINGS.intersection(domains):
                del domains[name]
        off = sum(sum(ws.values()) for ws in domains.values())
        if off and not any(src != "char" for _, src in themes.values()):
            grumble = _GRUMBLE.search(text)
            if grumble is not None:
                domains[COMPLAINT] = {grumble.group(0): W_COMPLAINT}
                off += W_COMPLAINT
        need = OFF_MIN + (THEMED_EXTRA + theme if theme > 0 else 0.0)
        phrases: set[str] = set()
        if theme < VETO and off < need:
            # the phrasing patterns can only change the outcome here
            for name, pattern in self._domain_patterns:
                found = pattern.search(text)
                if found is not None:
                    matched = domains.setdefault(name, {})
                    phrase = found.group(0)
                    # a phrase is worth 1.0 in all, words of it already counted included
                    extra = 1.0 - sum(w for word, w in matched.items() if word in phrase)
                    if extra > 0:
                        matched[phrase] = extra
                        phrases.add(phrase)
                        off += extra
        if off >= need and theme < VETO and SHOPPING in domains:
            off -= _shopping_discount(text, domains, phrases, theme)
        label: Label = "off" if off >= need and theme < VETO else "on"
        if label == "on" and off >= OUTWEIGH_MIN and self._theme_in_passing(text, domains, themes):
            # one theme word in passing among much everyday talk ("去看了周杰伦演唱会，全场大
            # 合唱太震撼了" in a choir): the talk is the everyday one
            label = "off"
        if label == "off" and self._led_by_social_act(plain):
            return Verdict(
                "social",
                points,
                off,
                theme,
                signals,
                tuple((name, tuple(ws)) for name, ws in domains.items()),
                note="led by a social act (congratulations, apology, greeting, thanks)",
                spam_threshold=threshold,
            )
        if label == "off" and len(text) <= GROUP_QUESTION_MAX_CHARS:
            # a short question about the group's own doings ("带孩子一起去可以吗"), or word
            # that one cannot come ("孙子放假了，这几天可能来不了"), is never off
            asked = _GROUP_QUESTION.search(text)
            if asked is not None and _QUESTION.search(text) is not None:
                label = "on"
                themes[asked.group(0)] = (W_MATTER, "group question")
            else:
                absent = _ATTENDANCE.search(text)
                if absent is not None:
                    label = "on"
                    themes[absent.group(0)] = (W_MATTER, "attendance")
        return Verdict(
            label,
            points,
            off,
            theme,
            signals,
            tuple((name, tuple(ws)) for name, ws in domains.items()),
            tuple((w, src) for w, (_, src) in themes.items()),
            spam_threshold=threshold,
        )
