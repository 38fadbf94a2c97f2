"""FAQ matching: an inverted index over canonical words and character bigrams.

A query is scored only against the entries that hold one of its topic words (term ->
entries), so the cost follows the query, not the FAQ size: chatter naming no word of the
FAQ stops before any scoring, and a candidate whose score is bounded below threshold -
margin is not scored. Candidates are then scored exactly, per phrasing
(the question and each similar phrasing), by three normalised signals:

- query coverage: the IDF-weighted share of the query's terms found in the phrasing (or,
  at a discount, in the answer): a question about something the entry never mentions
  scores low, however well its other words match;
- entry coverage: the share of the phrasing's own key terms that the query contains;
- character bigram overlap (weighted Dice) of the content, for typos, segmentation
  differences and words the lexicon does not know.

Topic is not enough: an entry answers a question only when their intents agree (the kind of
answer wanted and the facets asked about; see bot/text/qa_intent.py). A candidate whose
intent disagrees is rejected before the ranking, so a near answer is never given: the
question stays unanswered and goes to the backlog. So is one that does not cover what is
asked: a price, time or person asked of something it never names, another thing the FAQ
knows in the place of its own (停车场几点关门 to 乐园几点开门)... (the coverage checks of
bot/text/qa_intent.py).

The bot answers only when the best score clears a threshold and beats the runner-up by a
margin; both live in QASettings so the eval uses the bot's own configuration.
"""

from __future__ import annotations

import gc
import heapq
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.settings.qa import QASettings
from bot.text.lexicon import FACET_TERMS, FAMILIES
from bot.text.normalize import ANCHOR_PRIOR, Analysis, Analyzer, normalize, term_prior
from bot.text.pinyin import Respeller
from bot.text.qa_intent import (
    EntryIntent,
    QueryIntent,
    agreement,
    answer_clauses,
    asked_subjects,
    disagreement,
    entry_intent,
    extended_to_another,
    negated_topic,
    question_sentences,
    read_query,
    sentence_focus,
    substituted_subject,
    unanswered_slot,
    unasked_thing,
    unnamed_alternatives,
    unsaid_whether,
    wants_a_thing,
)

# A single character read as a family's word ("加" as 报名) counts like any single character.
WEAK_PRIOR = 0.5
# "保存 3 个月" in an answer says how long a thing is kept, not that it can be downloaded
# (保存 is a download in a question: "回放能保存吗").
_KEPT_FOR = re.compile(r"保存(?=\s*(?:\d|[一二两三四五六七八九十半几]|到|至))")
# What is asked of a verb (带啥), past a measure (带点啥, 准备些什么).
_WHAT = frozenset({"啥", "什么", "哪些", "啥子", "什么样", "什么样的"})
_SOME = frozenset({"点", "些", "一些", "点儿", "一点"})
# A topic word corroborates another when its IDF is at least this share of the rarest's.
CORROBORATING_IDF = 0.5
# The share of a suffixed noun's weight earned by a compound it heads (拍子 / 球拍).
HEAD_SHARE = 0.5
# 池子, 拍子, 本儿: a noun with its suffix is the one-character noun.
_NOUN_SUFFIXES = frozenset("子儿")
# Canonical names of the lexicon's synonym families: never what a member typed.
FAMILY_TERMS = frozenset(FAMILIES)
# Up to this many anchored entries, candidates are scored from the entries themselves rather
# than by walking postings (whose length follows the FAQ's size).
DIRECT_ROUGH = 96


@dataclass(frozen=True)
class FaqDoc:
    """One FAQ entry as the matcher sees it."""

    key: str  # the id shown to admins
    question: str
    answer: str
    aliases: tuple[str, ...] = ()
    scopes: frozenset[str] = frozenset({"*"})  # "*" everywhere; otherwise scope tags


@dataclass(frozen=True)
class MatchParams:
    # Chosen by maximising accuracy with a pooled false-answer rate <= 0.02 on the development
    # sets (shared qa_dev, tests/data/qa_other.yaml, tests/data/qa_dev_cooking.yaml) only.
    threshold: float = 0.40
    margin: float = 0.02
    answer_weight: float = 0.6  # a query term found only in the answer counts this much
    # ... unless no other entry says it and another topic word of the question is in the
    # entry too: then the answer says what was asked, as much as a phrasing would.
    specific_answer_weight: float = 1.0
    theme_weight: float = 1.0  # theme keywords are hints (tokenizer words), not answers
    w_query: float = 0.75
    w_entry: float = 0.25
    w_chars: float = 0.30
    # IDF-weighted share of the query's characters found in the entry (question, or the
    # answer at answer_weight): segmentation differences and answer-only keywords.
    w_unigram: float = 0.15
    candidates: int = 16
    homophones: bool = True  # repair homophone typos (回访 -> 回放) through pinyin
    discover_words: bool = True  # learn the FAQ's own words the dictionary lacks (跑衫)
    intent: bool = True  # reject entries whose intent disagrees with the question's
    context_weight: float = 0.6  # terms outside the asking clause, or of an event done
    story_kinds: int = 3  # kinds of story markers that make a message a story, not a question
    # Score factors for weaker signs of another intent (see qa_intent.agreement).
    facet_penalty: float = 0.6  # the entry's question is about a facet the question never names
    owner_penalty: float = 0.5  # the entry never mentions whose price (refund...) is asked
    predicate_penalty: float = 0.7  # a yes/no question's last word is not in the entry
    condition_penalty: float = 0.7  # nor the words before its modal (能, 可以)
    novel_penalty: float = 0.8  # per topic word of the asking clause no entry uses
    foreign_penalty: float = 0.9  # per topic word another entry asks about, this one never says
    which_penalty: float = 0.6  # "哪个版本": the thing asked for is not in the entry
    slot_penalty: float = 0.8  # the entry's question asks another kind of answer
    # A yes/no question put to an entry that asks what, how or when: its topic words beyond
    # the entry's question must be in the entry's answer ("腰疼可以上课吗" is not answered
    # by what to bring to class).
    whether_penalty: float = 0.6  # per such topic word
    # Share of a query word's weight earned by its characters found in the entry (not cut
    # as a word there): 孕妇 for 怀孕, 停车位 for 停车.
    partial_weight: float = 0.3
    # Share earned by a query word the entry holds as a word cut differently (衣柜 typed in
    # 更衣柜, 结业 in 结业证书) or by the entry's word inside the query's (皮肤 in 皮肤病: by
    # the share of its characters); in the answer only, at the answer's weight.
    contain_weight: float = 0.9
    how_penalty: float = 0.7  # one asks how (what to do), the other a time, place...
    # A question with no topic word that asks a place or time of a one-character thing (店,
    # 馆) takes that character as its topic.
    single_anchors: bool = True
    # A time, duration, count or person asked must be given about what the question names.
    coverage: bool = True
    # "停车场几点关门" is not answered by "乐园几点开门" (another thing the FAQ knows).
    subjects: bool = True
    # "男的还是女的": an entry that names neither alternative does not answer; nor does one
    # about 会员 a question about 非会员.
    alternatives: bool = True
    # "要带啥" is not answered by an entry that asks only when or how much, nor "奖品是什么"
    # by "有比赛吗", nor a yes/no question by a time that never names what is asked.
    things: bool = True


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    phrasing: str  # the question or similar phrasing that matched best


@dataclass(frozen=True)
class Decision:
    analysis: Analysis
    best: Hit | None  # the best entry whose intent agrees with the question's
    runner_up: Hit | None
    confident: bool
    # The best-scoring entry rejected because it answers another intent, and why.
    rejected: Hit | None = None
    reason: str = ""
    rejected_keys: frozenset[str] = frozenset()

    @property
    def answer_key(self) -> str | None:
        return self.best.key if self.confident and self.best is not None else None


@dataclass
class _View:
    text: str
    terms: frozenset[str]
    bigrams: frozenset[str]
    surface: str = ""
    own: dict[str, float] = field(default_factory=dict)  # term -> weight, set at build
    own_total: float = 0.0
    gram_total: float = 0.0
    verbs: frozenset[str] = frozenset()  # its one-character verbs whose object it asks


@dataclass
class _Entry:
    doc: FaqDoc
    views: list[_View]
    answer_terms: frozenset[str]
    chars: dict[str, float] = field(default_factory=dict)  # char -> 1 (question) or answer_weight
    intent: EntryIntent | None = None
    # Every term of its phrasings -> 1, of its answer only -> answer_weight; every bigram of
    # its phrasings: its rough score computed directly when few entries are candidates.
    term_weights: dict[str, float] = field(default_factory=dict)
    grams: frozenset[str] = frozenset()
    # term -> the largest share of a phrasing's own weight it carries: bounds the entry
    # coverage a query can reach without scoring every phrasing.
    own_share: dict[str, float] = field(default_factory=dict)
    # Its phrasings and its answer as typed (normalised): words the tokenizer cut otherwise.
    typed_question: str = ""
    typed_answer: str = ""


def bigrams(surface: str) -> frozenset[str]:
    if len(surface) < 2:
        return frozenset({surface}) if surface else frozenset()
    return frozenset(surface[i : i + 2] for i in range(len(surface) - 1))


def _in_context(a: Analysis, answer_terms: frozenset[str]) -> tuple[str, ...]:
    """A phrasing's terms read with its answer: "能退吗" answered with 退款 asks for a refund."""
    if "退" in a.tokens and "退款" in answer_terms and "退出" not in answer_terms:
        return tuple("退款" if t == "退出" else t for t in a.terms)
    return a.terms


def _asked_verbs(tokens: Sequence[str], analyzer: Analyzer) -> frozenset[str]:
    """One-character verbs whose object is asked (带啥, 穿什么, 吃点什么): the topic of the
    question, as much as any word (a lone character otherwise counts half)."""
    out: set[str] = set()
    for i, token in enumerate(tokens):
        if token not in _WHAT:
            continue
        j = i - 1
        if j > 0 and tokens[j] in _SOME:
            j -= 1
        if j >= 0 and _cjk(tokens[j][-1]):
            # The one-character verb itself, or inside 自己带 (read as 准备 and 带).
            out.update(t for t in analyzer.canonical(tokens[j]) if len(t) == 1 and _cjk(t))
    return frozenset(out)


def _inner_words(term: str) -> list[str]:
    """The shorter words a query word may contain: its inner runs of two or more characters
    (停车 in 停车位), or its noun without the suffix (池 in 池子)."""
    if len(term) == 2:
        return [term[0]] if term[1] in _NOUN_SUFFIXES and _cjk(term[0]) else []
    return [term[i : i + n] for n in range(2, len(term)) for i in range(len(term) - n + 1)]


def _typed_content(analyzer: Analyzer, tokens: Iterable[str]) -> str:
    """The content words of a cut as typed (not their canonical terms)."""
    return "".join(t for t in tokens if analyzer.canonical(t))


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


@dataclass
class FaqIndex:
    """Built once per FAQ change; `match` is read-only and allocation-light."""

    analyzer: Analyzer
    params: MatchParams = field(default_factory=MatchParams)
    entries: list[_Entry] = field(default_factory=list)
    term_postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    gram_postings: dict[str, list[int]] = field(default_factory=dict)
    term_idf: dict[str, float] = field(default_factory=dict)
    gram_idf: dict[str, float] = field(default_factory=dict)
    unseen_idf: float = 1.0
    unseen_gram_idf: float = 1.0
    char_idf: dict[str, float] = field(default_factory=dict)
    char_postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    unseen_char_idf: float = 1.0
    respeller: Respeller | None = None
    # term / character -> the entries that hold it: which entries a topic word can anchor.
    term_sets: dict[str, frozenset[int]] = field(default_factory=dict)
    char_sets: dict[str, frozenset[int]] = field(default_factory=dict)
    asked_terms: frozenset[str] = frozenset()  # the terms of every entry's phrasings

    @classmethod
    def build(
        cls, docs: Iterable[FaqDoc], analyzer: Analyzer, params: MatchParams | None = None
    ) -> FaqIndex:
        index = cls(analyzer=analyzer, params=params or MatchParams())
        docs = list(docs)
        if index.params.discover_words:
            texts = [t for d in docs for t in (d.question, *d.aliases, d.answer)]
            analyzer.learn(analyzer.discover(texts))
        for doc in docs:
            answer = _KEPT_FOR.sub("保留", doc.answer)
            answer_terms = frozenset(analyzer.terms_of(answer))
            views = []
            asked = []
            for text in (doc.question, *doc.aliases):
                a = analyzer.analyze(text, question=True)
                asked.append(a)
                terms = _in_context(a, answer_terms)
                if terms:
                    surface = "".join(terms)
                    verbs = _asked_verbs(a.tokens, analyzer)
                    view = _View(text, frozenset(terms), bigrams(surface), surface, verbs=verbs)
                    views.append(view)
            if not views:
                continue
            # Characters of the content words, canonical and as typed (结业证书 is read as
            # 证书, yet says 结业).
            said = analyzer.analyze(answer, question=False)
            chars = dict.fromkeys(said.surface + _typed_content(analyzer, said.tokens), 0.0)
            typed = "".join(_typed_content(analyzer, a.tokens) for a in asked)
            chars.update(dict.fromkeys("".join(v.surface for v in views) + typed, 1.0))
            chars = {c: w or index.params.answer_weight for c, w in chars.items() if _cjk(c)}
            intent = entry_intent(
                (doc.question, *doc.aliases),
                answer,
                (t for v in views for t in v.terms),
                answer_terms,
                index._sentence_facets((doc.question, *doc.aliases), answer_terms),
                index._subjects((doc.question, *doc.aliases)),
                answer_clauses(answer, analyzer.terms_of),
            )
            typed_question = "|".join(normalize(t) for t in (doc.question, *doc.aliases))
            index.entries.append(
                _Entry(
                    doc,
                    views,
                    answer_terms,
                    chars,
                    intent,
                    typed_question=typed_question,
                    typed_answer=normalize(doc.answer),
                )
            )
        index._postings()
        if index.params.homophones:
            vocabulary = set(analyzer.surfaces()) | set(index.term_idf)
            index.respeller = Respeller(vocabulary, analyzer.is_real_word)
        # The index is long-lived and acyclic: keep the cyclic collector from walking its
        # millions of small objects on every full collection (a multi-ms pause at 10k).
        gc.freeze()
        return index

    def _sentence_facets(
        self, phrasings: Iterable[str], answer_terms: frozenset[str]
    ) -> list[tuple[str | None, bool]]:
        """Each sentence of an entry's phrasings: its focal facet, and whether it is owned."""
        out: list[tuple[str | None, bool]] = []
        for phrasing in phrasings:
            for sentence in question_sentences(phrasing):
                a = self.analyzer.analyze(sentence, question=True)
                refund = "退款" in _in_context(a, answer_terms)
                out.append(
                    sentence_focus(
                        a.tokens,
                        self.analyzer.canonical,
                        term_prior,
                        anchor_prior=ANCHOR_PRIOR,
                        refund=refund,
                    )
                )
        return out

    def _subjects(self, phrasings: Iterable[str]) -> list[tuple[int, tuple[str, tuple[str, ...]]]]:
        """What each when/where/how-much/who question of an entry's phrasings asks it of."""
        out = []
        for phrasing in phrasings:
            for sentence in question_sentences(phrasing):
                tokens = self.analyzer.analyze(sentence, question=True).tokens
                out += asked_subjects(
                    tokens, self.analyzer.canonical, term_prior, frozenset(), ANCHOR_PRIOR
                )
        return out

    def _postings(self) -> None:
        n = max(len(self.entries), 1)
        term_df: dict[str, int] = {}
        gram_df: dict[str, int] = {}
        for entry in self.entries:
            for term in entry.answer_terms.union(*(v.terms for v in entry.views)):
                term_df[term] = term_df.get(term, 0) + 1
        for i, entry in enumerate(self.entries):
            in_views = frozenset().union(*(v.terms for v in entry.views))
            entry.term_weights = {
                t: self._answer_weight(term_df[t]) for t in entry.answer_terms - in_views
            }
            entry.term_weights.update(dict.fromkeys(in_views, 1.0))
            entry.grams = frozenset().union(*(v.bigrams for v in entry.views))
            for term, fw in entry.term_weights.items():
                self.term_postings.setdefault(term, []).append((i, fw))
            for gram in entry.grams:
                self.gram_postings.setdefault(gram, []).append(i)
                gram_df[gram] = gram_df.get(gram, 0) + 1
        char_df: dict[str, int] = {}
        for i, entry in enumerate(self.entries):
            for ch, w in entry.chars.items():
                char_df[ch] = char_df.get(ch, 0) + 1
                self.char_postings.setdefault(ch, []).append((i, w))
        self.term_sets = {t: frozenset(i for i, _ in p) for t, p in self.term_postings.items()}
        self.char_sets = {c: frozenset(i for i, _ in p) for c, p in self.char_postings.items()}
        self.char_idf = {c: _idf(n, df) for c, df in char_df.items()}
        self.unseen_char_idf = max(self.char_idf.values(), default=1.0)
        self.term_idf = {t: _idf(n, df) for t, df in term_df.items()}
        self.asked_terms = frozenset(
            t for entry in self.entries for v in entry.views for t in v.terms
        )
        self.gram_idf = {g: _idf(n, df) for g, df in gram_df.items()}
        # A word no entry uses is as telling as the rarest one (not more: small FAQs).
        self.unseen_idf = max(self.term_idf.values(), default=1.0)
        self.unseen_gram_idf = max(self.gram_idf.values(), default=1.0)
        # Very common terms still count in the exact score, but do not pick candidates:
        # their postings are long and their weight small.
        self.common_df = max(200, n // 20)
        self.common_terms = frozenset(t for t, df in term_df.items() if df > self.common_df)
        self.common_grams = frozenset(g for g, df in gram_df.items() if df > self.common_df)
        # Characters pick candidates only when rare (a homophone-free typo, 称重 vs 称): the
        # postings of common characters are long and would cost time at 10,000 entries.
        self.common_chars = frozenset(c for c, df in char_df.items() if df > self.common_df // 4)
        for entry in self.entries:
            for view in entry.views:
                view.own = self._weights(view.terms, frozenset(), verbs=view.verbs)
                view.own_total = sum(view.own.values())
                view.gram_total = sum(self.gram_idf[g] for g in view.bigrams)
                for term, w in view.own.items():
                    share = w / view.own_total if view.own_total else 0.0
                    entry.own_share[term] = max(entry.own_share.get(term, 0.0), share)

    def __len__(self) -> int:
        return len(self.entries)

    def _answer_weight(self, df: int) -> float:
        """What a query term found only in an entry's answer earns, by how many entries hold
        it: a word no other entry uses is evidence for this one, a shared word much less."""
        p = self.params
        return p.specific_answer_weight if df == 1 else p.answer_weight

    def _weights(
        self,
        terms: Iterable[str],
        theme: frozenset[str],
        intent: QueryIntent | None = None,
        verbs: frozenset[str] = frozenset(),
    ) -> dict[str, float]:
        out: dict[str, float] = {}
        for term in terms:
            prior = 1.0 if term in verbs else term_prior(term)
            if intent is not None:
                if term in intent.weak:
                    prior = min(prior, WEAK_PRIOR)
                prior *= intent.roles.get(term, 1.0)
            w = self.term_idf.get(term, self.unseen_idf) * prior
            if term in theme:
                w *= self.params.theme_weight
            out[term] = w
        return out

    def read_intent(self, a: Analysis) -> QueryIntent:
        """The question's intent as this index's parameters read it."""
        return read_query(
            a.text,
            a.tokens,
            a.terms,
            self.analyzer.canonical,
            term_prior,
            anchor_prior=ANCHOR_PRIOR,
            context_weight=self.params.context_weight,
            story_kinds_needed=self.params.story_kinds,
        )

    def match(
        self,
        text: str,
        *,
        scopes: frozenset[str] = frozenset({"*"}),
        theme: frozenset[str] = frozenset(),
        analysis: Analysis | None = None,
        threshold: float | None = None,
        margin: float | None = None,
    ) -> Decision:
        """Score `text`; confident when the best clears the threshold and the margin."""
        a = analysis or self.analyzer.analyze(text)
        if not a.question or not self.entries:
            return Decision(a, None, None, False)
        decision = self._decide(a, scopes, theme, threshold, margin)
        if self.respeller is None or not decision.analysis.question:
            return decision
        # Homophone typos (回访, 收废): a second reading with the typos repaired. It wins when
        # it is confident and explains the message better than the literal reading.
        fixed = self.respeller.respell(a.tokens)
        if fixed is None:
            return decision
        repaired = self._decide(
            self.analyzer.analyze(fixed, question=True), scopes, theme, threshold, margin
        )
        if decision.answer_key is not None and decision.answer_key in repaired.rejected_keys:
            # Read as meant (每周分享会有回访吗 asks for a replay), the literal answer answers
            # another question: it is not given.
            return repaired if repaired.confident else _unsure(decision, repaired)
        if not repaired.confident or repaired.best is None:
            return decision
        if decision.confident and decision.best is not None:
            return repaired if repaired.best.score > decision.best.score else decision
        return repaired

    def _decide(
        self,
        a: Analysis,
        scopes: frozenset[str],
        theme: frozenset[str],
        threshold: float | None,
        margin: float | None,
    ) -> Decision:
        if not a.terms:
            return Decision(a, None, None, False)
        p = self.params
        intent = self.read_intent(a) if p.intent else None
        if intent is not None and intent.story:
            # A story or a poll of the members: not a question for the FAQ (nor the backlog).
            return Decision(replace(a, question=False), None, None, False, reason="a story")
        weak = intent.weak if intent is not None else frozenset()
        verbs = _asked_verbs(a.tokens, self.analyzer) - weak
        weights = self._weights(a.terms, theme, intent, verbs)
        # Topic words: one must match ("几点", "哪里" or a weak 加 alone are not enough).
        anchors_of = frozenset(
            t for t in weights if (term_prior(t) >= ANCHOR_PRIOR or t in verbs) and t not in weak
        )
        if not anchors_of and p.single_anchors and intent is not None and intent.slots:
            # No topic word, but a place or time asked of a one-character thing (店在哪, 馆在什么
            # 位置): that character is the topic; the intent and the threshold still judge.
            anchors_of = frozenset(t for t in weights if len(t) == 1 and _cjk(t) and t not in weak)
        # Topic words of the asking clause that no entry uses at all: the question is about
        # something the FAQ never mentions ("创始人", "摄像头").
        novel = [
            t
            for t in anchors_of
            if t not in self.term_idf
            and intent is not None
            and t not in intent.roles
            and t not in intent.judged
        ]
        total = sum(weights.values())
        qgrams = bigrams(a.surface)
        gram_w = {g: self.gram_idf.get(g, self.unseen_gram_idf) for g in qgrams}
        gram_total = sum(gram_w.values())
        char_w = {c: self.char_idf.get(c, self.unseen_char_idf) for c in a.surface if _cjk(c)}
        char_total = sum(char_w.values())
        uni = (char_w, char_total) if p.w_unigram > 0 and char_total > 0 else None

        # Only an entry holding one of the topic words can answer (see _score): when none
        # does, the message is chatter and costs the same whatever the FAQ's size.
        allowed = self._anchored(anchors_of)
        if not allowed:
            return Decision(a, None, None, False)
        rough: dict[int, float] = {}
        bounds: dict[int, float] = {}  # exact-score bounds, when scored from the entries
        if len(allowed) <= DIRECT_ROUGH:
            # Few candidates: their rough scores from the entries themselves, every term,
            # bigram and character counted (no posting is walked).
            term_share = {t: w / total for t, w in weights.items()}
            gram_share = {g: w / gram_total for g, w in gram_w.items()}
            char_share = (
                {c: p.w_unigram * w / char_total for c, w in char_w.items()}
                if uni is not None
                else {}
            )
            for i in sorted(allowed):
                score, bound = self._rough(self.entries[i], term_share, gram_share, char_share)
                if score > 0:
                    rough[i] = score
                    bounds[i] = bound
        else:
            # Very common terms, bigrams and characters still count in the exact score, but
            # do not rank candidates: their postings are long and their weight small.
            term_share = {t: w / total for t, w in weights.items() if t not in self.common_terms}
            gram_share = {
                g: w / gram_total for g, w in gram_w.items() if g not in self.common_grams
            }
            char_share = (
                {
                    c: p.w_unigram * w / char_total
                    for c, w in char_w.items()
                    if c not in self.common_chars
                }
                if uni is not None
                else {}
            )
            for term, share in term_share.items():
                for i, fw in self.term_postings.get(term, ()):
                    if i in allowed:
                        rough[i] = rough.get(i, 0.0) + share * fw
            for gram, share in gram_share.items():
                for i in self.gram_postings.get(gram, ()):
                    if i in allowed:
                        rough[i] = rough.get(i, 0.0) + share
            for ch, share in char_share.items():
                for i, fw in self.char_postings.get(ch, ()):
                    if i in allowed:
                        rough[i] = rough.get(i, 0.0) + share * fw
        if not rough:
            return Decision(a, None, None, False)
        ranked = heapq.nlargest(p.candidates * 2, rough, key=rough.__getitem__)
        threshold = p.threshold if threshold is None else threshold
        margin = p.margin if margin is None else margin
        # A candidate whose exact score cannot reach threshold - margin changes neither the
        # answer nor its margin: it is not scored (after the first). Scored from the entries,
        # the bound is per signal (_rough); from the postings, it is w_entry plus the rough
        # score (scaled by the largest coefficient) plus what the skipped terms could add.
        # Chatter stops here.
        floor = threshold - margin - 1e-9
        scale = max(p.w_query, 2 * p.w_chars, 1.0)
        # From the postings, the partial credit of words cut differently is not in the rough
        # score: at most partial_weight of every longer word.
        partial_slack = max(p.partial_weight, p.contain_weight) * sum(
            s for t, s in term_share.items() if len(t) > 1 and t not in FAMILY_TERMS
        )
        skipped = (
            p.w_query * (1.0 - sum(term_share.values()) + partial_slack)
            + 2 * p.w_chars * (1.0 - sum(gram_share.values()))
            + (p.w_unigram - sum(char_share.values()) if uni is not None else 0.0)
        )

        hits: list[Hit] = []
        rejected: list[tuple[Hit, str]] = []
        for i in ranked:
            if len(hits) + len(rejected) >= p.candidates:
                break
            if hits or rejected:
                limit = bounds.get(i, p.w_entry + scale * rough[i] + skipped)
                if limit < floor:
                    continue
            entry = self.entries[i]
            if not (entry.doc.scopes & scopes):
                continue
            hit = self._score(entry, weights, total, gram_w, gram_total, uni, anchors_of, weak)
            if hit is None:
                continue
            if intent is not None and entry.intent is not None:
                why = disagreement(intent, entry.intent)
                if why is None and p.coverage:
                    why = unanswered_slot(intent, entry.intent)
                if why is None and p.subjects:
                    known = self.term_idf.__contains__
                    why = substituted_subject(
                        intent, entry.intent, known, a.text, a.terms
                    ) or extended_to_another(intent, entry.intent, known)
                if why is None and p.alternatives:
                    why = unnamed_alternatives(intent, entry.intent) or negated_topic(
                        intent, entry.intent
                    )
                if why is None and p.things:
                    why = (
                        wants_a_thing(intent, entry.intent)
                        or unasked_thing(intent, entry.intent)
                        or unsaid_whether(intent, entry.intent)
                    )
                if why is not None:
                    rejected.append((hit, why))
                    continue
                factor = agreement(
                    intent,
                    entry.intent,
                    facet_penalty=p.facet_penalty,
                    owner_penalty=p.owner_penalty,
                    predicate_penalty=p.predicate_penalty,
                    condition_penalty=p.condition_penalty,
                    which_penalty=p.which_penalty,
                    slot_penalty=p.slot_penalty,
                    how_penalty=p.how_penalty,
                )
                # Words the entry holds as parts of its own (池子 / 恒温池) are not unsaid.
                parts = self._parts_held(entry, anchors_of)
                if intent.predicate is not None:
                    unsaid = _unanswered_whether(anchors_of - parts, weak, entry.intent)
                    factor *= p.whether_penalty**unsaid
                for term in novel:
                    if not entry.intent.knows(term) and term not in parts:
                        factor *= p.novel_penalty
                # The thing asked (the yes/no question's word, its facet) said by the entry:
                # other entries' words around it are context ("买猫粮可以开票吗").
                asked_said = intent.predicate is not None and entry.intent.mentions(
                    intent.predicate
                )
                for term in () if asked_said else anchors_of:
                    # Facets are the intent's to judge (the 费用 of "交的钱能退吗" is what
                    # the refund is of, not what is asked).
                    if (
                        term in self.asked_terms
                        and term not in FACET_TERMS
                        and term not in entry.term_weights
                        and term not in parts
                        and not entry.intent.knows(term)
                    ):
                        factor *= p.foreign_penalty
                if factor < 1.0:
                    hit = Hit(hit.key, round(hit.score * factor, 4), hit.phrasing)
            hits.append(hit)
        hits.sort(key=lambda h: h.score, reverse=True)
        best = hits[0] if hits else None
        second = hits[1] if len(hits) > 1 else None
        confident = (
            best is not None
            and best.score >= threshold
            and best.score - (second.score if second else 0.0) >= margin
        )
        top_rejected, reason = max(rejected, key=lambda r: r[0].score, default=(None, ""))
        return Decision(
            a,
            best,
            second,
            confident,
            top_rejected,
            reason,
            frozenset(h.key for h, _ in rejected),
        )

    def _anchored(self, anchors: Iterable[str]) -> set[int]:
        """The entries that hold one of the topic words, as a term or all its characters."""
        out: set[int] = set()
        for term in anchors:
            found = self.term_sets.get(term)
            if found:
                out |= found
            if len(term) > 1 and not (found and len(found) > self.common_df // 4):
                # Cut differently (称重 vs 体重…称): the entries holding all its characters,
                # when one of them is rare enough for the intersection to be cheap.
                holders = [self.char_sets.get(ch, frozenset()) for ch in term]
                holders.sort(key=len)
                first, *rest = holders
                if first and len(first) <= self.common_df // 4:
                    out |= first.intersection(*rest)
            for part in _inner_words(term):
                # A word of the entry inside the query's (停车 in 停车位, 池 in 池子).
                held = self.term_sets.get(part)
                if held and len(held) <= self.common_df:
                    out |= held
            if len(term) == 2 and term[1] in _NOUN_SUFFIXES:
                # Or a compound it heads (拍子 / 球拍): the entries holding the character.
                held = self.char_sets.get(term[0])
                if held and len(held) <= self.common_df // 4:
                    out |= held
        return out

    def _rough(
        self,
        entry: _Entry,
        term_share: dict[str, float],
        gram_share: dict[str, float],
        char_share: dict[str, float],
    ) -> tuple[float, float]:
        """The candidate score of this entry (the postings' score, plus the partial credit of
        query words it holds only as characters), and a bound on its exact score (before the
        intent factors, which only lower it)."""
        p = self.params
        weights, grams, chars, own = entry.term_weights, entry.grams, entry.chars, entry.own_share
        partial = p.partial_weight
        terms = 0.0
        for term, share in term_share.items():
            found = weights.get(term)
            if found:
                terms += share * found
            elif len(term) > 1 and term not in FAMILY_TERMS:
                by_chars = partial * sum(chars.get(c, 0.0) for c in term) / len(term)
                terms += share * max(by_chars, self._part_of(entry, term))
        entry_cov = min(1.0, sum(own.get(t, 0.0) for t in term_share))
        shared = sum(s for g, s in gram_share.items() if g in grams)
        unigram = sum(s * chars.get(c, 0.0) for c, s in char_share.items())
        bound = (
            p.w_query * terms
            + p.w_entry * entry_cov
            + p.w_chars * 2 * shared / (1 + shared)
            + unigram
        )
        return terms + shared + unigram, bound

    def _part_of(self, entry: _Entry, term: str) -> float:
        """The share of a query word (not a term of the entry) earned by the entry holding it
        as part of its words: typed inside one (衣柜 in 更衣柜), or one of its words inside
        the query word (皮肤 in 皮肤病, 池 in 池子), by that word's share of the characters."""
        p = self.params
        if term in entry.typed_question:
            return p.contain_weight
        if term in entry.typed_answer:
            return p.contain_weight * p.answer_weight
        weights = entry.term_weights
        best = 0.0
        for word in _inner_words(term):
            if word in weights:
                best = max(best, weights[word] * len(word) / len(term))
        if not best and len(term) == 2 and term[1] in _NOUN_SUFFIXES:
            # The noun heads a compound of the entry (拍子 / 球拍, 柜子 / 储物柜): a kind of it.
            head = term[0]
            for word, fw in weights.items():
                if len(word) > 1 and word[-1] == head:
                    best = max(best, fw * HEAD_SHARE)
        return p.contain_weight * best

    def _parts_held(self, entry: _Entry, terms: Iterable[str]) -> frozenset[str]:
        """The query words the entry's answer holds only as parts of its words."""
        return frozenset(
            t
            for t in terms
            if len(t) > 1
            and t not in FAMILY_TERMS
            and t not in entry.term_weights
            and self._part_of(entry, t) > 0
        )

    def _score(
        self,
        entry: _Entry,
        weights: dict[str, float],
        total: float,
        gram_w: dict[str, float],
        gram_total: float,
        uni: tuple[dict[str, float], float] | None,
        anchors_of: frozenset[str],
        weak: frozenset[str] = frozenset(),
    ) -> Hit | None:
        p = self.params
        best: Hit | None = None
        uni_score = 0.0
        if uni is not None:
            char_w, char_total = uni
            found = entry.chars
            uni_score = p.w_unigram * sum(w * found.get(c, 0.0) for c, w in char_w.items())
            uni_score /= char_total
        entry_chars = entry.chars
        # Two topic words of the question said by one entry corroborate each other: then a
        # word only its answer says (and no other entry does) counts nearly as if asked. A
        # word many entries' answers say (费用) corroborates nothing; one it asks about does.
        telling = CORROBORATING_IDF * self.unseen_idf
        corroborated = (
            sum(
                1
                for t in anchors_of
                if entry.term_weights.get(t) == 1.0
                or (
                    self.term_idf.get(t, self.unseen_idf) >= telling
                    and (
                        t in entry.term_weights
                        or (len(t) > 1 and all(entry_chars.get(ch) for ch in t if _cjk(ch)))
                    )
                )
            )
            >= 2
        )
        for view in entry.views:
            got = 0.0
            anchors = 0.0
            for term, w in weights.items():
                anchor = term in anchors_of
                if term in view.terms:
                    got += w
                    anchors += anchor
                elif term in entry.answer_terms:
                    fw = entry.term_weights[term] if anchor and corroborated else p.answer_weight
                    got += w * fw
                    anchors += anchor
                elif len(term) > 1:
                    held = [entry_chars.get(ch, 0.0) for ch in term if _cjk(ch)]
                    part = 0.0 if term in FAMILY_TERMS else self._part_of(entry, term)
                    if part or (held and all(held)):
                        # Cut differently (称重 vs 体重…称): its characters are all there.
                        anchors += anchor
                    if p.partial_weight and held and term not in FAMILY_TERMS:
                        # Part of the word (孕妇 / 怀孕, 停车位 / 停车): partial credit. (A
                        # family's name is not what was typed: 单独 is read as 一对一.)
                        part = max(part, p.partial_weight * sum(held) / len(term))
                    got += w * part
            # A topic word must match: intent words alone ("几点", "哪里") are not enough.
            if anchors < 1.0:
                continue
            q_cov = got / total
            e_cov = sum(w for t, w in view.own.items() if t in weights and t not in weak)
            e_cov /= view.own_total
            shared = sum(w for g, w in gram_w.items() if g in view.bigrams)
            both = gram_total + view.gram_total
            chars = 2 * shared / both if both else 0.0
            score = p.w_query * q_cov + p.w_entry * e_cov + p.w_chars * chars + uni_score
            if best is None or score > best.score:
                best = Hit(entry.doc.key, round(score, 4), view.text)
        return best


def _unanswered_whether(anchors: frozenset[str], weak: frozenset[str], entry: EntryIntent) -> int:
    """How many topic words of a yes/no question an entry that asks no yes/no question
    leaves unsaid: neither its question nor its answer has them."""
    if entry.yes_no:
        return 0
    return sum(
        1
        for term in anchors
        if term not in weak and term not in entry.question_terms and not entry.answer_knows(term)
    )


def _unsure(literal: Decision, repaired: Decision) -> Decision:
    """Neither reading answers: the literal reading, not confident, with the rejection."""
    return Decision(
        literal.analysis,
        repaired.best,
        repaired.runner_up,
        False,
        repaired.rejected,
        repaired.reason,
        repaired.rejected_keys,
    )


def theme_terms(analyzer: Analyzer, keywords: Sequence[str]) -> frozenset[str]:
    """A group's theme keywords as canonical terms."""
    out: set[str] = set()
    for keyword in keywords:
        out.update(analyzer.terms_of(keyword))
    return frozenset(out)


def params_for(settings: QASettings) -> MatchParams:
    """The matcher parameters a group's QASettings ask for."""
    return MatchParams(threshold=settings.threshold, margin=settings.margin)
