"""Properties of the relay's text parsers: the WeChat quote form, `#回答 N`, quotes of a
relayed question, and which `/红包` is about a relayed question."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.text.quotes import split_wechat_quote
from handlers.relay import QUESTION_HEAD, _answer_of, is_question_reward
from tests.relay_support import line

ANY = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
# what survives the inbound cleaning unchanged (no control or invisible characters)
TEXT = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=80)


@given(ANY)
def test_any_text_is_a_quote_or_not_never_an_error(text: str) -> None:
    found = split_wechat_quote(text)
    assert found is None or (isinstance(found[0], str) and isinstance(found[1], str))


@given(TEXT, TEXT.filter(lambda t: t.strip() == t and "\n" not in t), st.integers(5, 20))
def test_a_wechat_quote_splits_into_quoted_and_reply(quoted: str, reply: str, dashes: int) -> None:
    text = f"「张老师：{quoted}」\n{'- ' * dashes}\n{reply}"
    assert split_wechat_quote(text) == (quoted, reply)


@given(st.integers(1, 10**6), TEXT.filter(lambda t: bool(t.split())))
def test_an_answer_names_its_question_by_number_or_by_quote(number: int, body: str) -> None:
    answer, text = _answer_of(line(f"#回答 {number} {body.strip()}", 1))
    assert answer == number and text == body.strip()
    head = QUESTION_HEAD.format(number=number, group="二群", member="bob")
    quoted, reply = _answer_of(line(body, 1, quote=head + "问题"))
    assert quoted == number and reply == body.strip()


@given(ANY)
def test_any_answer_text_gives_a_number_or_none_never_an_error(text: str) -> None:
    number, _ = _answer_of(line(text, 1))
    assert number is None or number >= 0
    assert _answer_of(line(text, 1, quote=text))[0] is None or "提问" in text


@given(ANY)
def test_only_a_red_packet_naming_a_question_is_taken_by_the_relay(rest: str) -> None:
    message = line(f"/红包 {rest}", 1)
    if is_question_reward(message):
        assert re.fullmatch(r"提问[0-9０-９]+", message.text.split()[1])
    assert is_question_reward(line("/红包 提问3 20 好问题", 1))
    assert not is_question_reward(line("/红包 20 好问题", 1))
    assert not is_question_reward(line("/红包 提问3 20", 1, mentions=("bob",)))
