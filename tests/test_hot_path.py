"""What the hot path remembers between messages never outlives what it was computed from:
FAQ decisions, classifier verdicts, the question pre-filter, contexts, cheap id checks."""

from __future__ import annotations

from bot.sender import RecordingSender
from bot.text import inbound, normalize
from bot.text.lexicon import POLITE_PREFIXES
from handlers.moderation import ModerationService
from handlers.qa_service import QaService
from tests.moderation_support import MODERATION_CONFIG, moderation_config
from tests.qa_support import qa_config
from tests.support import BASE_CONFIG, at, config_from, msg, running_bot
from tests.test_spam_flow import AD_1


async def test_a_question_answered_after_an_admin_adds_the_entry(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        question = "训练营的证书怎么领取？"
        assert await bot.say(question, user="bob", when=at("2026-11-21 09:00")) == []
        await bot.say("/faq add 训练营的证书怎么领取？ | 结营后填表领取。", user="coach")
        # the same text again: the remembered "no answer" went with the old index
        again = await bot.say(question, user="carol", when=at("2026-11-21 09:10"))
        assert again == ["结营后填表领取。"]


async def test_remembered_faq_decisions_are_dropped_when_the_tokenizer_learns(
    sqlite_db: str,
) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        service = bot.app.services.get(QaService)
        group = bot.app.config.group("g1")
        first = service.match(group, "请问入群要交多少钱")
        assert first is not None and service.match(group, "请问入群要交多少钱") is first
        assert service.index is not None
        analyzer = service.index.analyzer
        before = analyzer.generation
        analyzer.learn(["热身跑圈打卡营"])
        assert analyzer.generation == before + 1
        again = service.match(group, "请问入群要交多少钱")
        assert again is not None and again is not first
        assert again.answer_key == first.answer_key == "fee"
        analyzer.learn(["热身跑圈打卡营"])  # nothing new: the generation stays
        assert analyzer.generation == before + 1


async def test_a_reloaded_spam_threshold_applies_to_a_text_seen_before(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        service = bot.app.services.get(ModerationService)
        message = msg(AD_1, user="spammer")
        assert service.classify(bot.app.config.group("g1"), message).label == "spam"
        lenient = MODERATION_CONFIG.replace(
            "whitelist_domains: [mp.weixin.qq.com]",
            "whitelist_domains: [mp.weixin.qq.com]\n      threshold: 1000",
        )
        await bot.app.apply_config(config_from(lenient))
        assert service.classify(bot.app.config.group("g1"), message).label != "spam"


async def test_handlers_see_the_reloaded_config(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        before = bot.app.context("g1")
        assert bot.app.context("g1") is before  # one per group while nothing changed
        assert "打卡成功" in (await bot.say("打卡", when=at("2026-11-21 08:00")))[0]
        off = BASE_CONFIG.replace(
            "admins: [admin]\n", "admins: [admin]\ndefaults:\n  checkin:\n    enabled: false\n", 1
        )
        await bot.app.apply_config(config_from(off))
        assert bot.app.context("g1") is not before
        assert await bot.say("打卡", user="bob", when=at("2026-11-21 08:05")) == []
        assert bot.app.context("g1").config is bot.app.config


async def test_replies_go_to_a_sender_swapped_in_later(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        await bot.say("打卡", when=at("2026-11-21 08:00"))
        later = RecordingSender(bot.clock)
        bot.app.sender = later
        await bot.app.handle(msg("打卡", user="bob", when=at("2026-11-21 08:05")))
        assert len(later.sent) == 1 and "打卡成功" in later.sent[0].text


def test_printable_ascii_ids_are_safe_exactly_when_the_pattern_says_so() -> None:
    for code in range(0x100):
        raw = f"u{chr(code)}1"
        expected = inbound._ID_UNSAFE.search(raw) is None
        assert inbound.id_is_safe(raw) is expected, hex(code)
    assert not inbound.id_is_safe("u" * (inbound.MAX_ID_CHARS + 1))
    assert inbound.id_is_safe("u" * inbound.MAX_ID_CHARS)


def _strip_every_prefix(text: str) -> str:
    """strip_politeness as first written: every prefix tried in turn."""
    ordered = sorted(POLITE_PREFIXES, key=len, reverse=True)
    changed = True
    text = text.strip(normalize._PUNCT_EDGE)
    while changed and text:
        changed = False
        for prefix in ordered:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :].lstrip(normalize._PUNCT_EDGE)
                changed = True
                break
    return text


def test_strip_politeness_by_first_character_equals_trying_every_prefix() -> None:
    tails = ["", "会员费多少钱？", "，请问几点开始", "问", "hello world", "!!"]
    for prefix in (*POLITE_PREFIXES, "请", "麻", ""):
        for other in ("", "请问", "大家好，", "亲"):
            for tail in tails:
                text = prefix + other + tail
                assert normalize.strip_politeness(text) == _strip_every_prefix(text), text


def test_the_question_prefilter_is_the_same_for_remembered_and_long_texts() -> None:
    for text in ("几点开始？", "收到", "请问会员费多少钱", "打卡规则是什么？"):
        assert normalize.looks_like_question(text) is normalize._looks_like_question(text)
        assert normalize.looks_like_question(text) is normalize.looks_like_question(text)
    long = "今天写了很多" * 60 + "吗？"
    assert len(long) > normalize.QUESTION_MEMO_MAX_CHARS
    assert normalize.looks_like_question(long) is normalize._looks_like_question(long)
