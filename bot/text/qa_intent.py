"""What a question asks, and whether an FAQ entry answers that kind of question.

Topic words say which entry a question is about; they do not say what it wants to know.
`会员可以退款吗` shares 会员 with `会员费多少钱`, `每周分享会有回放吗` shares 每周+分享 with
`每周的分享会是什么时候`: same topic, another question. Before the matcher answers, the
question's intent must agree with the entry's. Intent has two parts:

- the **slot**: the kind of answer wanted (a time, a duration, a place, a procedure, a remedy,
  a person, a count or amount, a reason). Read from the asking clause's interrogatives
  (几点, 多久, 在哪, 怎么, 怎么办, 找谁, 多少, 为什么). An entry offers the slots its own
  question and similar phrasings ask, plus those its answer gives evidence of (clock
  times, durations, addresses and pages, steps, contacts, numbers, reasons). How-to, remedy,
  yes/no and "what" questions fit any entry: a statement about the topic answers them.
- the **facets**: the things asked about that change the answer: price, refund, earnings
  (a fee the member receives is not one the member pays), replay, invoice, expiry,
  cancellation, change, transfer, loss, damage, discount... (lexicon.FACET_TERMS). The
  facet the asking clause is about must appear in the entry (question, phrasings or answer).

A disagreement on either rejects the entry (`disagreement`). Weaker signs scale its score
down (`agreement`): the entry's own question is about a facet the question never names; the
entry says whose price it gives and the question asks another's; a yes/no question's last
word, or the words before its modal, are not in the entry; "哪个 X" names an X the entry
never does.

Agreeing on topic and intent, an entry must still cover what is asked; each of these rejects
it: a time, span, count or person asked about a word the entry never names, or a span its
answer gives of something else (`unanswered_slot`); the when, where, how much or yes/no asked
of another thing the FAQ knows than the entry's question asks it of (`substituted_subject`),
or extended with 也 to a party the entry never names (`extended_to_another`); an either-or
whose sides the entry never names; a bare "what" put to an entry asking only when or how
many, or to a yes/no entry whose question never names the thing; a yes/no question put to
an entry that gives only a time or a number and never names what is asked; a question about
非 X put to an entry about X.

The question is also read for its shape: terms of the clause that asks weigh fully; terms of
other clauses, or of an event already done (退出了), are context and weigh less; a single
character that a synonym family also knows (加, 分, 换) is a weak hint, never an anchor; and
a message that tells a story (past markers, third persons, finished events, media, a poll
of the members) is not a question the FAQ answers at all.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.text.lexicon import (
    FACET_TERMS,
    GENERIC_TERMS,
    INTENT_TERMS,
    OPERATION_TERMS,
    STRONG_SINGLES,
)
from bot.text.question_forms import (
    asks_without_question_word,
    request_wish,
    split_yes_no,
    wish_start,
)


class Slot(enum.IntFlag):
    """The kind of answer a question wants (combinable)."""

    NONE = 0
    TIME = enum.auto()
    DURATION = enum.auto()
    PLACE = enum.auto()
    HOW = enum.auto()
    REMEDY = enum.auto()
    WHO = enum.auto()
    COUNT = enum.auto()
    WHY = enum.auto()


# Slots that must be offered by the entry: an asked slot is satisfied by any of these.
# (How-to and what-to-do questions are answered by any statement about the topic.)
# A time is not satisfied by a duration: "作业什么时候交" is not answered by "48 小时内批改".
SATISFIED_BY: dict[Slot, Slot] = {
    Slot.TIME: Slot.TIME,
    Slot.DURATION: Slot.DURATION | Slot.TIME,
    Slot.PLACE: Slot.PLACE | Slot.HOW,  # "where do I sign up" is answered by how
    Slot.WHO: Slot.WHO,
    Slot.COUNT: Slot.COUNT,
    Slot.WHY: Slot.WHY,
}
SPECIFIC = Slot.TIME | Slot.DURATION | Slot.PLACE | Slot.WHO | Slot.COUNT | Slot.WHY
# The same as plain ints for the per-candidate checks (Flag operators are slow).
_SATISFIED: tuple[tuple[int, int, str], ...] = tuple(
    (int(slot), int(satisfied), (slot.name or "").lower())
    for slot, satisfied in SATISFIED_BY.items()
)
_SPECIFIC = int(SPECIFIC)
# Slots an entry's own question is close to: one asking when may well say how long.
_RELATED: tuple[tuple[int, int], ...] = tuple(
    (slot, satisfied | (int(Slot.DURATION) if slot == Slot.TIME else 0))
    for slot, satisfied, _ in _SATISFIED
)
_PROCEDURE = int(Slot.HOW | Slot.REMEDY)
# Slots a how-to answer gives too ("报名在哪" is answered by how to sign up).
_HOW_ANSWERS = int(Slot.PLACE | Slot.HOW | Slot.REMEDY)

# --- what a question asks -----------------------------------------------------------------

_ASK_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (
        Slot.TIME,
        re.compile(
            r"什么时候|啥时候?|何时|几点|几号(?!线|场|门|口|楼|馆|厅|位|柜|房|桌|车厢)|哪天|哪一天|哪几天|周几|星期几|礼拜几|几月|"
            r"什么时间|啥时间|几时|多会儿|时间是|时间段|哪个时间|什么日子"
        ),
    ),
    (
        Slot.DURATION,
        re.compile(
            r"多久|多长时间|多长|几天|多少天|几个月|几个?小时|多少小时|几周|几个星期|"
            r"几分钟|多少分钟|几年|有效期"
        ),
    ),
    (
        Slot.PLACE,
        re.compile(
            r"哪里|哪儿|在哪|去哪|到哪|从哪|发哪|交哪|放哪|停哪|何处|什么地方|啥地方|什么位置|"
            r"地址|位置|哪个(?:地方|位置|城市|区|门|站|口)|怎么(?:去|走|过去|到)|"
            r"几(?:楼|层|栋|号线|站)|几号(?:场|门|口|楼|馆|厅)|哪一?站"
        ),
    ),
    (Slot.REMEDY, re.compile(r"怎么办|咋办|咋整|如何是好|怎么处理|如何处理")),
    (Slot.WHO, re.compile(r"谁|哪位|找哪个|哪个(?:老师|人|教练|同学)|联系人")),
    (
        Slot.COUNT,
        re.compile(
            r"多少|几[个张次位节人篇组斤岁项条门期本场级块元分轮件套折成米圈]|几课时|多大|多高|多重|多远|"
            r"多深|多宽|多厚|多贵|"
            r"贵不贵|贵吗|便宜吗|什么价|啥价|怎么卖|价格|价位|收费标准"
        ),
    ),
    (Slot.WHY, re.compile(r"为什么|为啥|为何|怎么会|咋会|什么原因|啥原因|何故")),
    (
        Slot.HOW,
        re.compile(
            r"怎么(?!办|样|会|这么|那么)|怎样(?!了)|如何(?!是好)|咋(?!办|样|会)|啥办法|什么办法|步骤|流程"
        ),
    ),
)


# "邮箱是多少", "电话多少": 多少 asks for an identifier, not a count.
_IDENTIFIER = re.compile(
    r"(?:邮箱|电话|号码|手机号?|微信号?|账号|帐号|网址|密码|编号|门牌号?|群号|qq号?)是?多少"
)


_ASK_PATTERNS = tuple((int(slot), pattern) for slot, pattern in _ASK_PATTERNS)
_ANY_ASK = re.compile("|".join(f"(?:{p.pattern})" for _, p in _ASK_PATTERNS))


def asked_slots(text: str) -> int:
    """The Slot bits a clause asks for (0 for yes/no and "what" questions)."""
    if not _ANY_ASK.search(text):
        return 0
    text = _IDENTIFIER.sub("", text)
    found = 0
    for slot, pattern in _ASK_PATTERNS:
        if pattern.search(text):
            found |= slot
    # "几点到几点", "多少钱": a count of hours or of money is a time or a price, not a count.
    if found & Slot.TIME:
        found &= ~int(Slot.COUNT)
    return found


# --- what an answer offers ----------------------------------------------------------------

_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万半]+)"
# People an answer can point to.
_ROLE = (
    r"(?:班长|班主任|管理员|客服|前台|助教|老师|教练|群主|负责人|财务|领队|工作人员|评委|志愿者|"
    r"店长|团长|小助手|组长|队长|讲师|导师|主持人|嘉宾|作者|[小老][\u4e00-\u9fff])"
)
_ANSWER_EVIDENCE: tuple[tuple[int, re.Pattern[str]], ...] = (
    (
        Slot.TIME,
        re.compile(
            r"\d{1,2}\s?[点:：]|\d+\s?[号日](?!内)|[早中晚]上|上午|下午|凌晨|傍晚|中午|"
            r"周[一二三四五六日末]|星期[一二三四五六日天]|每[天日周月年晚早季]|次月|月[初底中]|"
            r"节假日|工作日|当天|前一天|提前|之前|以前|结束后|之后|开营|开课|开学|截止"
        ),
    ),
    (
        Slot.DURATION,
        re.compile(
            _NUM + r"\s?(?:个)?(?:分钟|小时|天|周|星期|个月|月|年|个工作日|工作日|学期|季度)|"
            r"长期|永久|随时"
        ),
    ),
    (
        Slot.PLACE,
        re.compile(
            r"在[^，。；,;]{0,14}(?:里|上|中|页|群|楼|号|路|站|口|门|馆|室|厅|店|处|公园|会议|平台|台)|"
            r"地址|位于|[楼路街巷站]|小程序|公众号|群公告|群文件|群相册|平台|官网|网站|邮箱|链接|"
            r"群里|前台|会议|线上|线下|现场|门口|附近|到[^，。；,;]{1,10}(?:领|拿|取)|"
            r"去[^，。；,;]{1,12}(?:医院|诊所|药店|中心|馆|店|学校|机构|超市|市场|营业厅|网点)"
        ),
    ),
    (
        Slot.HOW,
        re.compile(
            r"发送|点击|扫码|填写|登记|申请|提交|下单|上传|选择|预约|报名|购买|办理|私信|联系|"
            r"先[^。；;]{1,24}(?:再|然后|即可)|即可|按照?|通过|直接|步骤|流程|在[^，。；,;]{1,14}(?:里|页)"
        ),
    ),
    (
        Slot.WHO,
        re.compile(
            r"私信|联系(?!方式)|咨询|艾特|@|(?:找|问|交给|发给|告诉|添加|加)[^，。；,;]{0,6}"
            + _ROLE
            + "|"
            + _ROLE
            + r"[^，。；,;]{0,8}(?:负责|处理|解答|答疑|审核|办理|登记|对接|主讲|带队)|"
            r"归[^，。；,;]{0,4}(?:作者|本人|拍摄者|个人|所有)|由[^，。；,;]{1,10}(?:负责|承担|担任|主讲|带)|"
            r"负责人|联系人|" + _ROLE + r"(?:是|叫|为)"
        ),
    ),
    (
        Slot.COUNT,
        re.compile(
            r"\d|[一二两三四五六七八九十百千万]+\s?(?:个|张|次|位|节|人|篇|组|岁|项|条|门|期|本|场|"
            r"课时|级|分|字|元|块|件|套|份|轮)|限|最多|至少|以上|以内|免费|全额|半价|原价|市价|折|"
            r"按[^，。；,;]{1,12}(?:扣|赔|收|计|算|付|退)"
        ),
    ),
    (Slot.WHY, re.compile(r"因为|为了|由于|原因|所以|是为|以免|避免|防止|安全")),
)


_ANSWER_EVIDENCE = tuple((int(slot), pattern) for slot, pattern in _ANSWER_EVIDENCE)


def answer_slots(answer: str) -> int:
    found = 0
    for slot, pattern in _ANSWER_EVIDENCE:
        if pattern.search(answer):
            found |= slot
    if found & Slot.HOW:
        found |= Slot.REMEDY  # steps to take answer "what do I do if..."
    return found


# Amounts and demonstratives before a noun ("一季度", "这个季度", "每节"), and the complements
# after a verb ("交给", "进去"): not what a word is about.
_AMOUNT_PREFIX = re.compile(r"^(?:[这那每该本此]个?|[一二两三四五六七八九十几半]+个?)")
_COMPLEMENTS = frozenset("给去来到完好进出回过起上下")
# Suffixes that make a noun of a character (拍子, 本儿): the character is the word.
_NOUN_SUFFIXES = frozenset("子儿")


@dataclass(frozen=True)
class AnswerClause:
    """A clause of an FAQ answer: the specific kinds of answer it gives, and its words."""

    slots: int
    terms: frozenset[str]
    chars: frozenset[str]

    def names(self, word: tuple[str, tuple[str, ...]]) -> bool:
        surface, terms = word
        core = _AMOUNT_PREFIX.sub("", surface) or surface
        if all(c in self.chars for c in core):
            return True
        if len(core) == 2 and core[1] in _COMPLEMENTS and core[0] in self.terms:
            return True  # 进去: 进
        return any(
            t in self.terms or (len(t) > 1 and all(c in self.chars for c in t)) for t in terms
        )


_ANSWER_CLAUSE = re.compile(r"[，,。；;！!？?\n]+")


def answer_clauses(
    answer: str, terms_of: Callable[[str], Iterable[str]]
) -> tuple[AnswerClause, ...]:
    """An answer cut at its commas and stops, each part with the specific slots it gives."""
    return tuple(
        AnswerClause(answer_slots(part) & _SPECIFIC, frozenset(terms_of(part)), frozenset(part))
        for part in _ANSWER_CLAUSE.split(answer)
        if part.strip()
    )


@dataclass(frozen=True)
class EntryIntent:
    """What an FAQ entry can answer."""

    slots: int  # Slot bits offered: asked by its phrasings or evidenced by its answer
    asked: int  # Slot bits asked by its question and similar phrasings
    facets: frozenset[str]  # named anywhere in the entry
    # The facets its question is about (the last one of each sentence), when every sentence
    # of every phrasing names one: a question that names none of them asks something else.
    question_facets: frozenset[str]
    owned: bool  # its question says whose price (refund...) it is: 编程课多少钱
    terms: frozenset[str]  # every canonical term of its phrasings and answer
    chars: frozenset[str]  # every character of its phrasings and answer
    # Does a sentence of its phrasings ask yes or no ("可以带朋友来吗")? An entry that only
    # asks what, how or when answers a yes/no question only with what its answer says.
    yes_no: bool = False
    question_terms: frozenset[str] = frozenset()
    answer_terms: frozenset[str] = frozenset()
    answer_chars: frozenset[str] = frozenset()
    question_chars: frozenset[str] = frozenset()
    clauses: tuple[AnswerClause, ...] = ()
    text: str = ""  # its phrasings and answer, as written
    # (slot, word) of its phrasings' when/where/how-much/who questions (see QueryIntent).
    subjects: frozenset[tuple[int, tuple[str, tuple[str, ...]]]] = frozenset()

    def asks_about(self, word: tuple[str, tuple[str, ...]]) -> bool:
        """Does the entry's question (or a similar phrasing) name a word of the question, or
        a part of it (停车场 for 停车)?"""
        surface, terms = word
        if all(c in self.question_chars for c in surface):
            return True
        if not self.question_terms.isdisjoint(terms):
            return True
        return any(len(t) > 1 and t in surface for t in self.question_terms)

    def names(self, word: tuple[str, tuple[str, ...]]) -> bool:
        """Does the entry (question or answer) name a word of the question, as typed, as
        one of its terms, without the amount before it (一季度, 这个季度) or as the verb
        before a complement (交给, 进去)?"""
        surface, terms = word
        core = _AMOUNT_PREFIX.sub("", surface) or surface
        if len(core) > 1 and core[-1] in _NOUN_SUFFIXES:
            core = core[:-1]  # 拍子: 拍 (球拍)
        if all(c in self.chars for c in core):
            return True
        if any(self.knows(t) for t in terms):
            return True
        return len(core) == 2 and core[1] in _COMPLEMENTS and core[0] in self.terms

    def answer_knows(self, term: str) -> bool:
        """Does the entry's answer say `term` (as a term, or all of its characters)?"""
        if term in self.answer_terms:
            return True
        return len(term) > 1 and all(c in self.answer_chars for c in term)

    def knows(self, term: str) -> bool:
        """Does the entry mention `term` (as a term, or all of its characters)?"""
        return term in self.terms or (len(term) > 1 and all(c in self.chars for c in term))

    def mentions(self, word: tuple[str, tuple[str, ...]]) -> bool:
        """Does the entry mention a word of the question (as typed, or one of its terms)?

        A single character must be a word of the entry: 书 is not in 读书笔记.
        """
        surface, terms = word
        if len(surface) > 1 and all(c in self.chars for c in surface):
            return True
        return any(self.knows(t) for t in terms)


_SENTENCE = re.compile(r"[?？;；!！。]+")


def question_sentences(phrasing: str) -> list[str]:
    """The sentences of an FAQ phrasing ("月赛有什么奖品？积分怎么兑换？" has two)."""
    return [s for s in _SENTENCE.split(phrasing) if s.strip()]


# Getting and exchanging are how members talk about points and prizes in general ("积分能兑换
# 什么" answers "积分有什么用"): an entry's question naming them does not narrow it.
_BROAD_FACETS = frozenset({"兑换", "获得"})


def sentence_focus(
    tokens: tuple[str, ...],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    *,
    anchor_prior: float,
    refund: bool,
) -> tuple[str | None, bool]:
    """The facet an FAQ sentence is about (its last one: the predicate comes last) and
    whether the sentence says whose it is ("编程课多少钱" prices the course; "可以退款吗" is
    about any refund). `refund`: the sentence's bare 退 reads as a refund."""
    weak = weak_singles(tokens, canonical)
    found: tuple[str, int] | None = None
    for i, token in enumerate(tokens):
        terms = ("退款",) if token == "退" and refund else canonical(token)
        for term in terms:
            if term in FACET_TERMS and term not in weak and term not in _BROAD_FACETS:
                found = (term, i)
    if found is None:
        return None, False
    owner = _owner(list(tokens[: found[1] + 1]), canonical, prior, weak, anchor_prior)
    return found[0], owner is not None


_PEOPLE = re.compile(_ROLE + "|成员|会员|同学|学员|人")


def _people_slot(phrasings: Iterable[str]) -> int:
    """An entry whose question is about people ("有哪些教练") answers who they are."""
    return int(Slot.WHO) if any(_PEOPLE.search(p) for p in phrasings) else 0


def entry_intent(
    phrasings: Iterable[str],
    answer: str,
    question_terms: Iterable[str],
    answer_terms: Iterable[str],
    sentence_facets: Iterable[tuple[str | None, bool]],
    subjects: Iterable[tuple[int, tuple[str, tuple[str, ...]]]] = (),
    clauses: tuple[AnswerClause, ...] = (),
) -> EntryIntent:
    phrasings = tuple(phrasings)
    asked = 0
    for text in phrasings:
        asked |= asked_slots(text)
    q_terms = frozenset(question_terms)
    all_terms = q_terms | frozenset(answer_terms)
    focus = list(sentence_facets)
    focal = [facet for facet, _ in focus]
    return EntryIntent(
        slots=asked | answer_slots(answer) | _people_slot(phrasings),
        asked=asked,
        facets=frozenset(t for t in all_terms if t in FACET_TERMS),
        question_facets=frozenset(f for f in focal if f) if all(focal) else frozenset(),
        owned=any(owned for _, owned in focus),
        terms=all_terms,
        chars=frozenset("".join((*phrasings, answer))),
        yes_no=any(
            _yes_no(sentence) for text in phrasings for sentence in question_sentences(text)
        ),
        question_terms=q_terms,
        answer_terms=frozenset(answer_terms),
        answer_chars=frozenset(answer),
        question_chars=frozenset("".join(phrasings)),
        clauses=clauses,
        text="\n".join((*phrasings, answer)),
        subjects=frozenset(subjects),
    )


def weak_singles(
    tokens: Iterable[str], canonical: Callable[[str], tuple[str, ...]]
) -> frozenset[str]:
    """Terms read only from ambiguous single characters (加 as 报名, 分 as 积分)."""
    singles: set[str] = set()
    strong: set[str] = set()
    for token in tokens:
        single = len(token) == 1 and token not in STRONG_SINGLES
        for term in canonical(token):
            (singles if single and term != token else strong).add(term)
    return frozenset(singles - strong)


# --- how a question is put ----------------------------------------------------------------

_CLAUSE_BREAK = frozenset(",，.。!！?？;；~～…、")
_ASKING_CLAUSE = re.compile(
    r"[?？]|[吗嘛么呢伐]$|不$|什么|啥|怎么|怎样|咋|如何|哪|几|多少|多久|多长|是否|能否|可否|"
    r"有没有|是不是|能不能|可不可以|会不会|要不要|行不行|谁|为什么|为啥|还是|"
    r"(?:能|可以|可|会|要|有|是|行|好|用)\S{0,8}不$|[吗嘛么呢伐]"
)
# A yes/no or either/or question (and no "what": "打卡格式是啥" asks for the format).
_YES_NO = re.compile(
    r"^(?!.*(?:什么|啥|哪|怎)).*(?:[吗么嘛]$|不$|能不能|可不可以|有没有|是不是|会不会|要不要|行不行|"
    r"是否|能否|可否|还是)"
)


def _asks(clause: str) -> bool:
    """Does the clause ask (a question word or particle, a split 包不包, a wish 想请个假)?"""
    return (
        _ASKING_CLAUSE.search(clause) is not None
        or asks_without_question_word(clause)
        or request_wish(clause)
    )


def _yes_no(sentence: str) -> bool:
    """A yes/no or either/or question: a particle or modal split, or a split word (冷不冷)."""
    return _YES_NO.search(sentence) is not None or split_yes_no(sentence)


# Perfective: the event already happened (退出了, 办过卡); it is context for what is asked,
# unless the question is what to do about it (摔了怎么办).
_DONE = frozenset({"了", "过"})
# Interrogatives followed by the thing asked for: "哪个版本", "什么牌子", "啥好吃的".
_WHICH = frozenset({"什么", "啥", "哪个", "哪种", "哪些", "哪款", "哪家", "什么样", "啥样"})
# Interrogatives that count what follows them ("几折", "多少分").
_COUNTING = frozenset({"几", "多少"})
# Bare money: a fee paid, a fee received, a refund or a deposit.
_BARE_MONEY = frozenset({"钱"})
MONEY = "钱"
# A required facet is also satisfied by these (money arriving may be a refund or a payout).
_FACET_ALTERNATIVES: dict[str, frozenset[str]] = {
    MONEY: frozenset({"费用", "收入", "退款", "押金", "发放", "赔偿"}),
    "发放": frozenset({"发放", "退款", "收入"}),
}
# Qualifiers that contradict each other: an entry about one does not answer the other.
_CONTRASTS: dict[str, str] = {"线上": "线下", "线下": "线上"}
# Markers of a told story rather than a question to the group's FAQ, by kind.
_STORY_PAST = re.compile(
    r"以前|之前|当时|那时|那会|后来|上次|上回|上周|上个月|去年|前年|小时候|那天|当年|最后|结果|"
    r"昨天|昨晚|前几天|前段时间"
)
_STORY_PERSON = re.compile(
    r"[他她]们?|朋友|同事|同学|老公|老婆|男朋友|女朋友|男友|女友|闺蜜|老板|邻居|隔壁|女主|男主|"
    r"主角|大师|家老大|家老二|小朋友|别人|有个人|听说"
)
_STORY_MEDIA = re.compile(r"电影|电视剧|纪录片|小说|新闻|综艺|剧里|书里|视频里|故事")
_STORY_UNSURE = re.compile(r".不知道|也不知道|没看懂|不明白为什么|搞不懂")
_STORY_DONE = re.compile(r"[了过](?:[，,。！!]|$)|[^不没]\S了\S")
# A poll of the members' own experience: "有人看到吗", "大家有没有遇到过".
_MEMBER_POLL = re.compile(
    r"(?:有人|有没有人|大家|各位|你们|姐妹们|宝子们|谁)[^，。,]{0,8}"
    r"(?:看到|看见|见过|遇到|碰到|去过|用过|试过|买过|吃过|捡到|经历|有过)"
)


@dataclass(frozen=True)
class QueryIntent:
    slots: int  # Slot bits
    facet: str | None  # the facet the asking clause is about (its last one), required
    facets: frozenset[str]  # every facet the message names, in any clause
    # Whose facet: the word the focal facet belongs to ("比赛报名费多少钱": 比赛), as typed
    # and as terms; an entry that never mentions it prices something else.
    owner: tuple[str, tuple[str, ...]] | None
    asked_nouns: tuple[tuple[str, tuple[str, ...]], ...]  # "哪个/什么 X": X as typed, its terms
    # The asking clause's last content word: what a yes/no question asks about (the predicate
    # comes last: "老师是男的还是女的", "家长可以陪着吗"), as typed and as terms.
    predicate: tuple[str, tuple[str, ...]] | None
    # What a yes/no question asks it for: the words before its modal ("腰疼可以上课吗": 腰疼).
    condition: tuple[tuple[str, tuple[str, ...]], ...]
    contrasts: frozenset[str]  # qualifiers an entry must not contradict (线上/线下)
    roles: dict[str, float]  # term -> weight multiplier (context)
    weak: frozenset[str]  # terms read only from an ambiguous single character
    story: bool  # a story or a poll of the members, not a question for the FAQ
    # The words the asking clause is about (not its interrogatives, amounts, time deictics
    # or scene-setting places), as typed and as terms: what a number, time or name asked
    # must be about.
    focus: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What a when/where/how-much/who question asks it of: the word right before its
    # interrogative ("停车场几点关门": 停车场), with the interrogative's slot.
    subjects: tuple[tuple[int, tuple[str, tuple[str, ...]]], ...] = ()
    # The two sides of an either-or question ("男的还是女的"): the entry must name one.
    either: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # A bare "what" ("要带啥", "奖品是什么"): it wants a thing, not a time or a number.
    asks_what: bool = False
    # What a "what" question wants to know about: "X 是什么" -> X.
    what_of: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Words the question negates ("非会员", "不是会员"): as typed and as terms.
    negated: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The asking clause extends something to its subject with 也 ("朋友…也是五块吗").
    also: bool = False

    @property
    def judged(self) -> frozenset[str]:
        """Terms a word-level check already weighs (owner, predicate, condition, which)."""
        words = [*self.asked_nouns, *self.condition]
        words += [w for w in (self.owner, self.predicate) if w is not None]
        return frozenset(t for _, terms in words for t in terms)


def _reading_tui_as_refund(
    canonical: Callable[[str], tuple[str, ...]],
) -> Callable[[str], tuple[str, ...]]:
    def read(token: str) -> tuple[str, ...]:
        return ("退款",) if token == "退" else canonical(token)

    return read


def _clauses(text: str, tokens: tuple[str, ...]) -> list[list[str]]:
    """Tokens grouped by clause: punctuation and the spaces members type between clauses."""
    out: list[list[str]] = [[]]
    at = 0
    for token in tokens:
        found = text.find(token, at)
        spaced = found > at and text[at] == " "  # normalised text has single spaces
        if found >= 0:
            at = found + len(token)
        if token[0] in _CLAUSE_BREAK:
            if out[-1]:
                out.append([])
            continue
        if spaced and out[-1]:
            out.append([])
        out[-1].append(token)
    return [part for c in out if c for part in _split_at_wish(c)]


def _split_at_wish(clause: list[str]) -> list[list[str]]:
    """A stated wish for a service is a clause of its own: what comes before it is the
    reason or the occasion ("孩子发烧了明天的课 | 想请个假")."""
    start = wish_start("".join(clause))
    if not start:
        return [clause]
    at = 0
    for k, token in enumerate(clause):
        if at == start:
            return [clause[:k], clause[k:]]
        if at > start:
            break
        at += len(token)
    return [clause]


def story_kinds(text: str) -> int:
    """How many kinds of story markers a message carries."""
    kinds = 0
    for pattern in (
        _STORY_PAST,
        _STORY_PERSON,
        _STORY_MEDIA,
        _STORY_UNSURE,
        _STORY_DONE,
        _MEMBER_POLL,
    ):
        kinds += pattern.search(text) is not None
    return kinds


def read_query(
    text: str,
    tokens: tuple[str, ...],
    terms: tuple[str, ...],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    *,
    anchor_prior: float,
    context_weight: float,
    story_kinds_needed: int,
) -> QueryIntent:
    """A question's intent; `terms` are the analyser's canonical terms of the message."""
    if "退款" in terms and "退" in tokens:
        # The analyser read a bare 退 next to something paid for as a refund: so do we.
        canonical = _reading_tui_as_refund(canonical)
    clauses = _clauses(text, tokens)
    joined = ["".join(c) for c in clauses]  # each clause's text, read several times below
    asking = [i for i, c in enumerate(joined) if _asks(c)]
    focus_clauses = set(asking) if asking else set(range(len(clauses)))
    slots = 0
    for i in focus_clauses:
        found = asked_slots(joined[i])
        if not found and request_wish(joined[i]):
            found = Slot.HOW  # "想请个假": how to ask for leave
        slots |= found
    remedy = bool(slots & Slot.REMEDY)
    in_focus: set[str] = set()
    in_context: set[str] = set()
    strong: set[str] = set()
    singles: set[str] = set()
    focal: tuple[str, int, int] | None = None  # facet, clause, token
    asked_nouns: list[tuple[str, tuple[str, ...]]] = []
    for i, clause in enumerate(clauses):
        focus = i in focus_clauses
        for j, token in enumerate(clause):
            if focus and token in _WHICH:
                asked_nouns.extend(_noun_after(clause, j + 1, canonical))
            mapped = canonical(token)
            if not mapped:
                continue
            done = not remedy and j + 1 < len(clause) and clause[j + 1] in _DONE
            # A character counted by an interrogative is what is asked ("几折": a discount).
            counted = j > 0 and clause[j - 1] in _COUNTING
            single = len(token) == 1 and token not in STRONG_SINGLES and not counted
            for term in mapped:
                (in_focus if focus and not done else in_context).add(term)
                if single and term != token:
                    singles.add(term)
                else:
                    strong.add(term)
                if focus and not done and not single:
                    if token in _BARE_MONEY:
                        focal = (MONEY, i, j)
                    elif term in FACET_TERMS:
                        focal = (term, i, j)
    weak = frozenset(singles - strong)
    referent: set[str] = set()
    if (
        asking
        and asking[-1] > 0
        and _refers_back(clauses[asking[-1]], canonical, prior, anchor_prior)
    ):
        # "…车架上有条裂纹，这个还在保修期内吗": the pronoun stands for what the clause before
        # it names, which is then as much the question's as the asking clause's own words.
        referent = {t for token in clauses[asking[-1] - 1] for t in canonical(token)}
    context_only = [
        t
        for t in dict.fromkeys(terms)
        if t not in in_focus and t in in_context and t not in referent
    ]
    # A long story before a short question: the context, however long, weighs together no
    # more than the asking clause (it still tells which entry when the question alone
    # cannot), so the question's own words decide.
    share = _context_share(len(context_only), len(in_focus & set(terms))) if asking else 1.0
    roles = {t: context_weight * share for t in context_only}
    predicate = None
    condition: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if asking and not slots and _yes_no(joined[asking[-1]]):
        last = asking[-1]
        predicate = _last_content(clauses[last], canonical, prior, weak, anchor_prior)
        before = _before_modal(clauses[last])
        if before is None and last > 0 and last - 1 not in focus_clauses:
            before = clauses[last - 1]  # "我怀孕四个月了，还能上课吗"
        condition = tuple(_contents(before or [], canonical, prior, weak, anchor_prior))
    owner = None
    if focal is not None:
        before = clauses[focal[1]][: focal[2] + 1]
        owner = _owner(before, canonical, prior, weak, anchor_prior)
        if (
            owner is None
            and focal[0] in _PRICE
            and focal[1] > 0
            and not _contents(before[:-1], canonical, prior, weak, anchor_prior)
        ):
            # "材料包可以单独买吗，多少钱": a clause that is only the price question asks
            # the price of what the clause before it names.
            earlier = [*clauses[focal[1] - 1], before[-1]]
            owner = _owner(earlier, canonical, prior, weak, anchor_prior)
    return QueryIntent(
        slots=slots,
        facet=focal[0] if focal else None,
        facets=frozenset(t for t in terms if t in FACET_TERMS),
        owner=owner,
        asked_nouns=tuple(asked_nouns),
        predicate=predicate,
        condition=condition,
        contrasts=frozenset(t for t in terms if t in _CONTRASTS),
        roles=roles,
        weak=weak,
        story=story_kinds(text) >= story_kinds_needed,
        focus=_focus(
            [clauses[i] for i in sorted(focus_clauses)], canonical, prior, weak, anchor_prior
        ),
        subjects=tuple(
            found
            for i in sorted(focus_clauses)
            for found in asked_subjects(clauses[i], canonical, prior, weak, anchor_prior)
        ),
        either=_either(clauses[asking[-1]], canonical, prior, weak, anchor_prior) if asking else (),
        asks_what=any(_bare_what(clauses[i]) for i in focus_clauses),
        what_of=tuple(
            word
            for i in sorted(focus_clauses)
            for word in _copular_subject(clauses[i], canonical, prior, weak, anchor_prior)
        ),
        also=any("也" in clauses[i] for i in focus_clauses),
        negated=tuple(
            word
            for clause in clauses
            for j, token in enumerate(clause[:-1])
            if token in _NEGATIONS
            for word in _contents([clause[j + 1]], canonical, prior, weak, anchor_prior)
        ),
    )


# Pronouns that stand for a thing named before ("这个还能保修吗", "它能退吗").
_PRONOUNS = frozenset({"这个", "那个", "它", "这", "那", "这种", "那种", "这样", "这些", "那些"})


def _refers_back(
    clause: list[str],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    anchor_prior: float,
) -> bool:
    """Does the clause open with a pronoun standing alone (not 那个旧车, where it points at a
    thing the clause names itself)?"""
    for k, token in enumerate(clause[:2]):
        if token in _PRONOUNS:
            after = clause[k + 1] if k + 1 < len(clause) else ""
            return all(prior(t) < anchor_prior for t in canonical(after))
    return False


# Context words that keep their full weight whatever the asking clause's length: a short
# condition ("我怀孕四个月了，还能上课吗") is what the question is about.
CONTEXT_ALLOWANCE = 2


def _context_share(n_context: int, n_focus: int) -> float:
    """How much each context term keeps when the context outnumbers the asking clause."""
    if n_context <= n_focus + CONTEXT_ALLOWANCE:
        return 1.0
    return (n_focus + CONTEXT_ALLOWANCE) / n_context


# A price asked in a clause of its own is the price of what the clause before names.
_PRICE = frozenset({"费用", MONEY})
# Amounts and ordinals ("三级", "一个", "20"), and the units counted after them: a price per
# person or per level is not the price of the person.
_QUANTITY = re.compile(
    r"^(?:\d+|第?[一二两三四五六七八九十百千万半几每]+个?"
    r"[级档层年月天日周次岁页节课张位人期届名遍回号块元本篇件份]?)$"
)
_UNITS = frozenset("人位次节个张本件份")
# Verbs of paying and asking that stand between a thing and its facet ("入会要交多少钱").
_OWNER_SKIP = frozenset("交付花缴给出掏")


def _owner(
    before: list[str],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    weak: frozenset[str],
    anchor_prior: float,
) -> tuple[str, tuple[str, ...]] | None:
    """What a facet belongs to: a compound's own topic (会员费, 稿费) or the nearest content
    word before the facet in its clause. `before` ends with the facet's token."""
    own = [t for t in canonical(before[-1]) if t not in FACET_TERMS and t not in INTENT_TERMS]
    if own and not any(t in OPERATION_TERMS for t in own):
        return before[-1], tuple(own)
    distance = -1
    words = before[:-1]
    for k in range(len(words) - 1, -1, -1):
        token = words[k]
        terms = canonical(token)
        if not terms or token in _OWNER_SKIP:
            continue
        distance += 1
        if _QUANTITY.match(token) or (token in _UNITS and k > 0 and _QUANTITY.match(words[k - 1])):
            continue  # "一个人多少钱": per person, not the person's price
        if any(t in FACET_TERMS or t in INTENT_TERMS or t in OPERATION_TERMS for t in terms):
            continue
        if all(t in weak for t in terms):
            continue
        if len(token) == 1:
            # A single character owns the facet only right before it ("书多少钱"); after a
            # word it names that word's kind ("私教课可以取消吗": the private class).
            if distance == 0:
                head = words[k - 1] if k > 0 else ""
                kind = canonical(head) if head else ()
                if (
                    len(head) > 1
                    and kind
                    and all(prior(t) >= anchor_prior for t in kind)
                    and not any(t in FACET_TERMS or t in INTENT_TERMS for t in kind)
                ):
                    return head + token, kind
                return token, terms
            continue
        if all(prior(t) >= anchor_prior for t in terms):
            return token, terms
    return None


# Modal verbs that split a yes/no question into its condition and its predicate.
_MODALS = frozenset(
    {
        "能",
        "可以",
        "可",
        "会",
        "要",
        "还能",
        "还可以",
        "能不能",
        "可不可以",
        "会不会",
        "要不要",
        "需要",
        "能否",
        "可否",
        "是否",
        "得",
    }
)


# A place word that sets the scene ("馆里有几位教练", "群里几点以后不能发消息"): where, not what.
_LOCATIVE = re.compile(r"^[\u4e00-\u9fff][里内]$")


def _focus(
    clauses: list[list[str]],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    weak: frozenset[str],
    anchor_prior: float,
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The words the asking clauses are about: their content words, but not interrogatives,
    amounts, scene-setting places or events already done ("毛线不够了怎么买" asks about wool,
    not about running out)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for clause in clauses:
        for at, token in enumerate(clause):
            if _QUANTITY.match(token) or _LOCATIVE.match(token):
                continue
            if asked_slots(token) or (at + 1 < len(clause) and clause[at + 1] in _DONE):
                continue
            out.extend(_contents([token], canonical, prior, weak, anchor_prior))
    return tuple(out)


# A time word before an interrogative says when, it is not what is asked about (周末几点开门).
_TIME_WORD = re.compile(
    r"^(?:周[一二三四五六日天末]|星期[一二三四五六日天]|礼拜[一二三四五六日天]|平时|平日|工作日|"
    r"节假日|假期|寒假|暑假|[早中晚]上|上午|下午|凌晨|每[天日周月年晚]|每个?月|最早|最晚)$"
)


# Marks a word asked about that follows its interrogative ("在哪报名": 报名).
AFTER = 1 << 16
_EVENT_SLOTS = int(Slot.TIME | Slot.PLACE)


def asked_subjects(
    clause: list[str] | tuple[str, ...],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    weak: frozenset[str],
    anchor_prior: float,
) -> list[tuple[int, tuple[str, tuple[str, ...]]]]:
    """What a question asks about, with the slot it asks (0 for yes or no): for each specific
    interrogative (几点, 多少钱, 在哪, 谁), the content word right before it ("停车场几点关门":
    停车场) and the one right after it, marked AFTER ("在哪报名": 报名); for a yes/no question,
    the first content word before its modal or its 有/是 ("志愿者有证书吗": 志愿者)."""
    out: list[tuple[int, tuple[str, tuple[str, ...]]]] = []
    clause = [t for t in clause if t[0] not in _CLAUSE_BREAK]
    content = [
        _contents([t], canonical, prior, weak, anchor_prior) if _subject_word(t) else []
        for t in clause
    ]
    for i, token in enumerate(clause):
        slot = asked_slots(token) & _SPECIFIC
        if not slot:
            continue
        # The word right before it, or else the clause's first ("一张年卡能带几个大人": 年卡),
        # unless another interrogative comes right before ("扫街几点在哪碰头": 几点 has it).
        lead = content[i - 1] if i > 0 else []
        if not lead and i > 0 and not asked_slots(clause[i - 1]):
            lead = next(filter(None, content[: i - 1]), [])
        # What follows a time or a place asked is the event ("在哪报名"); what follows a count
        # is the unit counted ("多少学生"), said many ways: not compared.
        after = content[i + 1] if i + 1 < len(clause) and slot & _EVENT_SLOTS else []
        out += [(slot, w) for w in lead] + [(slot | AFTER, w) for w in after]
    text = "".join(clause)
    if out or asked_slots(text) or not _YES_NO.search(text):
        return out
    # A yes/no question's subject comes before its modal or its 有/是 ("年卡可以退吗").
    before = _before_modal(clause)
    if before is None:
        verb = next((i for i, t in enumerate(clause) if t in _COPULAS), 0)
        before = clause[:verb]
    # (a single character counts: "买的粮不合适" is about 粮; buying and paying do not.)
    words = [
        word
        for token in before
        if len(token) == 1 or _subject_word(token)
        for word in _contents([token], canonical, prior, weak, anchor_prior)
        if not any(t in OPERATION_TERMS or t in FACET_TERMS for t in word[1])
    ]
    return [(0, words[0])] if words else []


_COPULAS = frozenset({"有", "是", "有没有", "是不是"})


def _subject_word(token: str) -> bool:
    return not (
        len(token) < 2
        or _TIME_WORD.match(token)
        or _QUANTITY.match(token)
        or asked_slots(token)
        or token in _MODALS
    )


def _either(
    clause: list[str],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    weak: frozenset[str],
    anchor_prior: float,
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The last content word on each side of 还是 ("男的还是女的": 男, 女)."""
    if "还是" not in clause:
        return ()
    at = clause.index("还是")
    sides = []
    for side in (clause[:at], clause[at + 1 :]):
        words = _contents(side, canonical, prior, weak, anchor_prior)
        if not words:
            return ()
        sides.append(words[-1])
    return tuple(sides)


_PARTICLES = frozenset("呢啊呀吗嘛哈哦吧的")


def _bare_what(clause: list[str]) -> bool:
    """Does the clause end on 啥 / 什么 (a thing is wanted: "要带啥", "奖品是什么")?"""
    rest = [t for t in clause if t not in _PARTICLES and t[0] not in _CLAUSE_BREAK]
    # (cut alone or with its verb: "带啥"; not 为什么)
    return bool(rest) and rest[-1].endswith(("啥", "什么")) and not asked_slots(rest[-1])


_NEGATIONS = frozenset({"非", "不是"})


def _copular_subject(
    clause: list[str],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    weak: frozenset[str],
    anchor_prior: float,
) -> list[tuple[str, tuple[str, ...]]]:
    """X of "X 是什么 / X 是啥" ("比赛奖品是什么": 奖品), and the use of "有什么用"."""
    for i in range(1, len(clause) - 1):
        if clause[i] == "是" and clause[i + 1] in {"什么", "啥"}:
            return _contents([clause[i - 1]], canonical, prior, weak, anchor_prior)
        if clause[i] in {"什么", "啥"} and clause[i + 1] == "用" and clause[i - 1] == "有":
            return [("用", canonical("用"))]
    return []


def _before_modal(clause: list[str]) -> list[str] | None:
    """The tokens before the clause's first modal; None when the clause starts with it."""
    for i, token in enumerate(clause):
        if token in _MODALS:
            return clause[:i] or None
    return None


def _contents(
    tokens: list[str],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    weak: frozenset[str],
    anchor_prior: float,
) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for token in tokens:
        terms = canonical(token)
        if not terms or all(t in weak or t in INTENT_TERMS for t in terms):
            continue
        if len(token) == 1 or all(prior(t) >= anchor_prior for t in terms):
            out.append((token, terms))
    return out


def _last_content(
    clause: list[str],
    canonical: Callable[[str], tuple[str, ...]],
    prior: Callable[[str], float],
    weak: frozenset[str],
    anchor_prior: float,
) -> tuple[str, tuple[str, ...]] | None:
    """The clause's last content word, unless it is a facet (the facet check covers those)."""
    for token in reversed(clause):
        terms = canonical(token)
        if not terms or all(t in weak or t in INTENT_TERMS for t in terms):
            continue
        if any(t in FACET_TERMS for t in terms) or token in _BARE_MONEY:
            return None
        if _QUANTITY.match(token) or asked_slots(token):
            continue  # "直播一次多长时间": neither 一次 nor 多长时间 is what is asked
        if len(token) == 1 or all(prior(t) >= anchor_prior for t in terms):
            return token, terms
    return None


def _noun_after(
    clause: list[str], start: int, canonical: Callable[[str], tuple[str, ...]]
) -> list[tuple[str, tuple[str, ...]]]:
    """Up to two content tokens after an interrogative ("什么入门书" -> 入门, 书).

    General words (要求, 规则) and intent words (时间, 地点) do not name a specific thing.
    """
    out: list[tuple[str, tuple[str, ...]]] = []
    for token in clause[start : start + 2]:
        terms = canonical(token)
        if not terms or token in _WHICH:
            break
        if any(t in GENERIC_TERMS or t in INTENT_TERMS for t in terms):
            continue
        out.append((token, terms))
    return out


def disagreement(query: QueryIntent, entry: EntryIntent) -> str | None:
    """Why the entry does not answer the question's intent; None when they agree."""
    wanted = query.slots & _SPECIFIC
    if wanted:
        for slot, satisfied, name in _SATISFIED:
            if wanted & slot and not entry.slots & satisfied:
                return f"asks {name}"
    if query.facet is not None:
        options = _FACET_ALTERNATIVES.get(query.facet, frozenset({query.facet}))
        if options.isdisjoint(entry.facets):
            return f"asks about {query.facet}"
    for term in query.contrasts:
        if _CONTRASTS[term] in entry.terms and term not in entry.terms:
            return f"asks about {term}"
    return None


def agreement(
    query: QueryIntent,
    entry: EntryIntent,
    *,
    facet_penalty: float,
    owner_penalty: float,
    predicate_penalty: float,
    condition_penalty: float,
    which_penalty: float,
    slot_penalty: float,
    how_penalty: float = 1.0,
) -> float:
    """A factor in (0, 1] for weaker signs that the entry answers another question."""
    factor = 1.0
    if entry.question_facets and entry.question_facets.isdisjoint(query.facets):
        factor *= facet_penalty  # the entry is about a refund, the question never says so
    if query.owner is not None and entry.owned and not entry.mentions(query.owner):
        factor *= owner_penalty  # the price of something else
    if query.predicate is not None and not entry.mentions(query.predicate):
        factor *= predicate_penalty  # a yes/no question about something it never says
    if query.condition and not any(entry.mentions(word) for word in query.condition):
        factor *= condition_penalty  # "腰疼可以上课吗" to an entry that never says 腰疼
    if not all(entry.mentions(noun) for noun in query.asked_nouns):
        factor *= which_penalty  # "哪个版本": the entry never names a version
    asked_specific = entry.asked & _SPECIFIC
    wanted = query.slots & _SPECIFIC
    if asked_specific and wanted:
        offered = 0
        for slot, satisfied in _RELATED:
            if asked_specific & slot:
                offered |= slot | satisfied
        if not wanted & offered:
            factor *= slot_penalty  # its question asks a place, this one a time
    asked_how = entry.asked & _PROCEDURE
    if wanted & ~_HOW_ANSWERS and asked_how and not asked_specific and query.facet is None:
        factor *= how_penalty  # "作业点评要等多久" to "作业怎么交"
    elif (
        asked_specific & ~_HOW_ANSWERS
        and not wanted
        and (query.slots & _PROCEDURE or query.asked_nouns)
        and not entry.asked & _PROCEDURE
    ):
        factor *= how_penalty  # "怎么知道孩子学得怎么样", "穿什么衣服" to "几岁", "什么时候"
    return factor


_FEE = "费用"


def unanswered_slot(query: QueryIntent, entry: EntryIntent) -> str | None:
    """A specific answer (a time, a duration, a count, a person...) asked about something
    the entry never names; None when the entry names all that the question asks about.

    An entry whose own question asks that kind of answer (or another the question asks too)
    gives it about its own topic. Otherwise the number, time or name in its answer is about
    its topic, and every word the asking clause is about must be in the entry: "退款多久能到
    账" is not answered by "开卡 7 天内可以全额退款", nor "深度保洁多少钱" by the price of
    日常保洁."""
    wanted, asked = query.slots & _SPECIFIC, entry.asked
    # "怎么收费" asks a price as much as "多少钱" does (and is answered by an entry asking
    # how it is charged: the HOW both ask).
    if query.facet == _FEE and query.slots & Slot.HOW:
        wanted |= query.slots & Slot.HOW | Slot.COUNT
    if not wanted or wanted & asked:
        return None
    for slot, satisfied, name in _SATISFIED:
        if wanted & slot and not asked & satisfied:
            # (A single character is too common to say the entry never names it.)
            words = [word for word in query.focus if len(word[0]) > 1]
            missing = next((word for word in words if not entry.names(word)), None)
            if missing is not None:
                return f"asks {name} of {missing[0]}"
            if slot == Slot.DURATION and query.focus and entry.clauses:
                # A span must be said of what is asked beyond the entry's question:
                # "钢琴多久调一次音" is not answered by "两年后再考虑立式钢琴", nor
                # "私教课一节多长时间" by "提前三天预约". (A time is often said in a clause
                # apart from what it is the time of, so only spans are checked.)
                own = [w for w in query.focus if not entry.asks_about(w)] or query.focus
                giving = [c for c in entry.clauses if c.slots & satisfied]
                if not any(c.names(w) for c in giving for w in own):
                    return f"gives {name} of something else"
    return None


def substituted_subject(
    query: QueryIntent,
    entry: EntryIntent,
    known: Callable[[str], bool],
    text: str,
    terms: Iterable[str],
) -> str | None:
    """The question asks its when, where, how much or yes-or-no of another thing than the
    entry's question does: "停车场几点关门" to "乐园几点开门", "在哪报名" to "在哪里集合",
    "志愿者有证书吗" to "上完课有证书吗".
    Only a thing the FAQ knows elsewhere counts (an unknown word may be a synonym the lexicon
    lacks), and only when the question never names the entry's own thing."""
    said = frozenset(terms)
    for slot, word in query.subjects:
        surface = word[0]
        # Named as typed, or by its terms; but a word the lexicon keeps as its own term
        # beside its family's (次卡: 会员卡 and 次卡) is named only by that term.
        specific = (surface,) if surface in word[1] else word[1]
        if len(surface) < 2 or surface in entry.text or not entry.terms.isdisjoint(specific):
            continue
        loosely_named = entry.names(word)
        for entry_slot, (own, own_terms) in entry.subjects:
            if (entry_slot ^ slot) & AFTER:
                continue  # one names the thing asked of, the other what is done to it
            if not (entry_slot & slot if slot & ~AFTER else entry_slot == 0):
                continue
            # Another kind of the same thing (次卡 for 年卡: one head, another modifier),
            # known to the FAQ or not.
            if len(own) > 1 and own[-1] == surface[-1] and own[:-1] not in text:
                return f"asks about {surface}, not {own}"
            if loosely_named or not any(known(t) for t in word[1]):
                continue
            # Otherwise a shared character may make them kinds of one thing (年卡, 会员卡).
            if any(c in text for c in own) or not set(own).isdisjoint(surface):
                continue
            if said.isdisjoint(own_terms):
                return f"asks about {surface}, not {own}"
    return None


def unnamed_alternatives(query: QueryIntent, entry: EntryIntent) -> str | None:
    """An either-or question whose alternatives the entry never names ("男的还是女的")."""
    if query.either and not any(entry.mentions(word) for word in query.either):
        return "names neither " + " nor ".join(w for w, _ in query.either)
    return None


_NOT_A_THING = _SPECIFIC & ~int(Slot.PLACE)


def wants_a_thing(query: QueryIntent, entry: EntryIntent) -> str | None:
    """A bare "what" ("第一次上课要带啥") put to an entry whose question asks only when, how
    long, how many, who or why: its answer is a time or a number, not the thing wanted.
    (Where is not among them: "从哪里开始" asks what to do first.)"""
    only_specific = entry.asked & _NOT_A_THING and not entry.asked & ~_NOT_A_THING
    return "asks what" if query.asks_what and not query.slots and only_specific else None


def unasked_thing(query: QueryIntent, entry: EntryIntent) -> str | None:
    """A "what" question put to an entry that only asks yes or no, about a thing its question
    never names: "比赛奖品是什么" is not answered by "俱乐部有比赛吗" (that there are prizes
    is not what they are); "全勤有什么奖励" is answered by "全勤有奖励吗"."""
    if query.slots or not entry.yes_no or entry.asked:
        return None
    for surface, terms in (*query.asked_nouns, *query.what_of):
        if not all(c in entry.question_chars for c in surface) and entry.question_terms.isdisjoint(
            terms
        ):
            return f"asks what {surface} is"
    return None


# Slots whose answer is only a time or a number: it says nothing about whether.
_ONLY_A_VALUE = int(Slot.TIME | Slot.DURATION | Slot.COUNT)


def unsaid_whether(query: QueryIntent, entry: EntryIntent) -> str | None:
    """A yes/no question put to an entry that asks only when, how long or how many: its
    answer is a time or a number, which says yes or no only of what it names. "不上课的时候可以
    自己去游吗" is not answered by the class times, unless the entry names 游."""
    if query.predicate is None or entry.yes_no or not entry.asked & _ONLY_A_VALUE:
        return None
    if entry.asked & ~_ONLY_A_VALUE:
        return None
    if not entry.mentions(query.predicate):
        return f"asks whether {query.predicate[0]}"
    return None


def negated_topic(query: QueryIntent, entry: EntryIntent) -> str | None:
    """The question is about the opposite of what the entry's question is about: "非会员去沙龙
    要钱吗" is not answered by "会员费多少" (an entry that speaks of 非会员 may answer it)."""
    for surface, terms in query.negated:
        if entry.question_terms.isdisjoint(terms):
            continue
        if not any(f"{neg}{surface}" in entry.text for neg in _NEGATIONS):
            return f"asks about 非{surface}"
    return None


def extended_to_another(
    query: QueryIntent, entry: EntryIntent, known: Callable[[str], bool]
) -> str | None:
    """ "X 也 … 吗" asks whether what holds for someone else holds for X too: an entry that
    never names X (a thing the FAQ knows elsewhere) says it only of someone else ("朋友开车来
    停车也是五块吗" to the members' parking fee)."""
    if not query.also:
        return None
    for slot, (surface, terms) in query.subjects:
        if slot or len(surface) < 2 or not any(known(t) for t in terms):
            continue
        if not entry.names((surface, terms)):
            return f"asks it of {surface}"
    return None
