"""Property: any text after `/群发 集合` is a broadcast or a Chinese usage hint; a time
given with `定时` is in the future and within a year."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.commands import UsageError
from handlers.broadcast import MAX_AHEAD, parse_broadcast_args
from tests.support import SHANGHAI, at

NOW = at("2026-12-01 10:00")
TIMES = st.sampled_from(
    ["2026-12-02 09:00", "12-02 09:00", "09:00", "2026-13-40 25:61", "00:00", "9：30", "1-1 1:01"]
)


@given(
    name=st.text(min_size=0, max_size=12),
    when=st.one_of(st.none(), TIMES, st.text(max_size=20)),
    body=st.text(max_size=60),
)
def test_any_arguments_give_a_broadcast_or_a_hint(name: str, when: str | None, body: str) -> None:
    raw = f"{name} 定时 {when} {body}" if when is not None else f"{name} {body}"
    try:
        parsed = parse_broadcast_args(raw, SHANGHAI, NOW, 40)
    except UsageError as exc:
        assert exc.hint == "" or any("\u4e00" <= ch <= "\u9fff" for ch in exc.hint)
        return
    assert parsed.set_name and parsed.text and len(parsed.text) <= 40
    assert parsed.text == parsed.text.strip()
    if parsed.send_at is not None:
        assert NOW < parsed.send_at <= NOW + MAX_AHEAD
        assert parsed.send_at.tzinfo is not None


def test_the_time_forms() -> None:
    full = parse_broadcast_args("camp 定时 2026-12-02 09:00 早安", SHANGHAI, NOW, 100)
    assert (full.set_name, full.text, full.send_at) == ("camp", "早安", at("2026-12-02 09:00"))
    short = parse_broadcast_args("camp 定时 12-02 09:00 早安", SHANGHAI, NOW, 100)
    assert short.send_at == at("2026-12-02 09:00")
    clock = parse_broadcast_args("camp 定时 09:00 早安\n第二行", SHANGHAI, NOW, 100)
    assert clock.send_at == NOW.replace(hour=9) + timedelta(days=1)
    assert clock.text == "早安\n第二行"
    later_today = parse_broadcast_args("camp 定时 10:30 早安", SHANGHAI, NOW, 100)
    assert later_today.send_at == at("2026-12-01 10:30")
