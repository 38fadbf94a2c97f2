"""WeChat's quote replies as text: personal-account gateways (wechaty puppets) hand the bot a
quote reply as one text message,

    「张老师：原来的话」
    - - - - - - - - - - - - - - -
    回复的内容

(the dashes vary in number). `split_wechat_quote` returns (quoted text, reply) for that
form, so the transport can fill Message.quote_text as WeCom does, or None for other text.
"""

from __future__ import annotations

import re

_QUOTE = re.compile(
    r"\A「(?P<who>[^：:\n]{0,64})[：:](?P<quoted>.*)」[ \t]*\n(?:-[ \t]*){5,}\n(?P<reply>.*)\Z",
    re.DOTALL,
)


def split_wechat_quote(text: str) -> tuple[str, str] | None:
    found = _QUOTE.match(text)
    if found is None:
        return None
    return found["quoted"], found["reply"].strip()
