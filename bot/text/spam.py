"""Spam (ads, 引流, 微商, scams) as a scored rule model with explainable signals.

Each rule that fires adds points and names its evidence. A message is spam at
``SPAM_THRESHOLD`` points. Strong structural signals (a contact handle with an id, a phone
number, a short link, a QR code) nearly decide alone; offer words (涨粉, 兼职, 代写...) only
together with another signal, because members talk about such things innocently too
("公众号涨粉好慢" in a writing group is not an ad).

Word categories are matched by the classifier's single lexicon scan (``SPAM_WORDS``);
structural signals are regular expressions here (``structural_signals``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SPAM_THRESHOLD = 10
EXTRA_HIT_POINTS = 2  # each further distinct word of a category already hit
EXTRA_HIT_CAP = 2  # at most this many further words count


@dataclass(frozen=True)
class Signal:
    code: str  # a key of REASON_LABELS
    points: int
    evidence: str  # the text that fired the rule

    def __str__(self) -> str:
        return f"{self.code}+{self.points}({self.evidence})"


# What each signal means, in the member-facing language.
REASON_LABELS: dict[str, str] = {
    "contact": "留联系方式",
    "phone": "手机号",
    "short_link": "短链接",
    "shop_link": "购物助力链接",
    "link": "外部链接",
    "qr": "二维码图片",
    "image_after_promo": "推广文字后发图",
    "follower": "涨粉刷量",
    "sidejob": "兼职副业招募",
    "proxy": "代写代购/微商",
    "goods": "售卖商品",
    "bait": "福利诱导",
    "bargain": "砍一刀/助力",
    "scam": "刷单返利",
    "miracle": "夸大宣传",
    "cta": "引导私聊/扫码",
    "price": "报价",
    "operator": "管理员设置的广告词",
}

# category -> (points for the first word, words). Lower case; matched as substrings.
SPAM_WORDS: dict[str, tuple[int, str]] = {
    "follower": (
        7,
        """涨粉 刷粉 买粉 活粉 真人粉 僵尸粉 真粉 刷阅读 刷量 刷赞 刷点赞 刷播放 刷评论 刷关注
        刷流量 刷浏览 真人关注 互粉 互关 互赞 粉丝量 千粉 万粉 点赞关注 涨赞""",
    ),
    "sidejob": (
        6,
        """兼职 日结 一单一结 宝妈 手机操作 动动手指 副业 躺赚 日赚 日入 月入 轻松赚 零投入
        零成本 零门槛 招代理 代理加盟 加盟 被动收入 在家赚 在家就能 足不出户 时间自由 收入可观
        学生党 招募 招聘 有手就行""",
    ),
    "proxy": (7, "微商 专业代"),
    "goods": (
        5,
        """高仿 原单 工厂直销 厂家直销 一手货源 货源 批发 正品 全网最低 出售 低价出 清仓
        甩卖 秒杀价 现货 接单 低价""",
    ),
    "bait": (
        5,
        """限时福利 【福利】 福利来了 免费领 免费送 领红包 领取红包 先到先得 名额有限 仅限今天
        速来 速抢 大礼包 礼包 不是梦 大额券 内部券 优惠券群 进群领 进裙领 加群领 入群领 免费领取 领取资料
        领取教程 点击链接 点击领取 戳链接 戳这里 链接领取 限时 限量""",
    ),
    "bargain": (
        8,
        """砍一刀 帮我砍 帮忙砍 砍价 助力 帮我投 投一票 拼多多 拼夕夕 拼xx 拼dd pdd 帮忙点一下
        多多助力""",
    ),
    "scam": (
        8,
        """刷单 返利 返现 网赚 稳赚 高回报 投资回报 带你赚钱 带你理财 稳赚不赔 保本 内幕消息
        荐股 牛股 博彩 棋牌 彩票 零风险 无风险 日息 月息 带单 喊单 内部名额 usdt""",
    ),
    "miracle": (
        6,
        """不节食 不反弹 躺瘦 月瘦 祛斑 丰胸 增高 根治 包治 特效药 无效退款 一个疗程 包过 保过
        包就业 保分 包拿证 包上岸 包通过""",
    ),
    "cta": (
        5,
        """私聊 私信我 私我 联系我 联系方式 加我 加v 加微 加薇 +v 添加助理 加助理 有意者 有意向 感兴趣的
        有需要的 需要的私 需要的扫 需要的联系 详情咨询 戳我 滴滴我 进群 加群 扫码 扫一扫 二维码
        看主页 主页有 主页联系 点我头像 点头像 看我头像 头像联系 同号 详聊 详询 电话咨询 咨询电话
        联系电话 加我v 绿泡泡 +vx +wx +q 咨询 电话 进裙 加裙 看我朋友圈 朋友圈有 看朋友圈
        嘀嘀我 dd我 扣1领 扣1送 扣1免费 进群领 进裙领 加群领 入群领""",
    ),
    "price": (3, "低至 特价 优惠价 量大从优 价格优惠 价格实惠 价格美丽 包邮 最低价 只要"),
}

_PRICE = re.compile(r"\d+(?:\.\d+)?\s*(?:元|块|rmb)|[¥￥]\s*\d+|(?<!\d)\d\s*折")
_FOLLOWER = re.compile(
    r"\d+\s*元\s*\d+\s*个?(?:粉|赞|关注|播放|阅读)"
    r"|(?:\d+|[一两几千万百])(?:千|万|百)?\s*个?(?:粉|赞|关注)\s*(?:只要|仅需|\d)"
)
_PROXY = re.compile(
    r"(?<![现时年古近当一二三四后历世换替取])代(?:写|购|发|刷|考|练|做|拍|跑|还|课)"
)
_MIRACLE = re.compile(r"(?:月|周|天|一个月)瘦\s*\d+\s*(?:斤|公斤|kg)")
_BAIT = re.compile(
    r"价值\s*\d+\s*元|前\s*\d+\s*名|日赚\s*\d+|月入\s*(?:\d+|过万|上万)|(?<![\d.])0\s*元"
)

_ID = r"[a-z0-9][a-z0-9_\-]{4,29}"
_SEP = r"[\s:：+_\-]*"
_HANDLE = re.compile(
    # a named messenger, then an id: "vx：abc123", "微信 wx888999", "Q号 889977665"
    r"(?:(?<![a-z0-9])(?:vx|wx|v x|w x|wechat|weixin|qq|q q|q号|v号|v信|vx号|wx号)|微信号?|威信|薇信|徽信|维信|威芯|薇芯|微芯|维芯|v芯|卫信"
    r"|卫星号?|扣扣号?|企鹅号?|球球|绿泡泡)\s*(?:号|群|号码)?"
    + _SEP
    + r"(?P<id>"
    + _ID
    + ")"
    # a loose messenger ("加薇 fit2024", "威 x：hao99", "加微: daikuan_66") needs a digit in its id
    + r"|(?:(?<![更增参附追叠施])加[微vq]|(?:(?<![\u3400-\u9fff])|(?<=[加添我]))[薇威]\s*x?)"
    + _SEP
    + r"(?P<id3>(?=[a-z_\-]*\d)"
    + _ID
    + ")"
    # a bare v/q needs a separator or an all-digit id, so English words do not fire
    + r"|(?<![a-z0-9])[vq](?:\s*[:：]\s*|\s+)(?P<id2>"
    + _ID
    + ")"
    + r"|(?<![a-z0-9])[vq](?P<digits>\d{5,12})(?![a-z0-9])"
)
_PHONE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")
_DIGIT = re.compile(r"\d")
_LATIN = re.compile(r"[a-z]")
_DIGIT_GAPS = re.compile(r"(?<=\d)[\s\-]+(?=\d)")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、）)]+"
    r"|(?<![@\w.])(?:[a-z0-9][a-z0-9\-]*\.)+(?:cn|com|net|org|cc|top|xyz|me|io|ly|im|vip|club|site"
    r"|shop|link|so|gd|info|co|tv)(?:/[^\s，。！？、）)]*)?(?![a-z0-9])"
)
# Symbols spammers put between the letters of a handle ("加v❤信", "➕v"): pluses become "+",
# emoji and decorations disappear (see ``fold_symbols``).
_PLUSES = str.maketrans({"\u2795": "+", "\u271a": "+", "\ufe62": "+", "\u2719": "+"})
_DECORATION = re.compile(
    "[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f\u200b-\u200d\u2060\u00b7\u2022"
    "\u2605\u2606\u2661\u2665\u20e3]+"
)
# Digits written so that a filter does not see them: circled (①), keycaps (1️⃣), full-width,
# mathematical; checked on the raw text, before NFKC turns them into plain digits.
_DISGUISED_DIGITS = re.compile(
    "[\u2460-\u24ff\u2776-\u2793\u20e3\uff10-\uff19\U0001d7ce-\U0001d7ff]"
)


def has_disguised_digits(raw: str) -> bool:
    return not raw.isascii() and _DISGUISED_DIGITS.search(raw) is not None


_CN_DIGITS = str.maketrans(
    "零〇幺一二三四五六七八九壹贰叁肆伍陆柒捌玖两", "001123456789123456789" + "2"
)
_CN_DIGIT_RUN = re.compile("[零〇幺一二三四五六七八九壹贰叁肆伍陆柒捌玖两]{7,}")


_FOLDABLE = re.compile("[\u2795\u271a\ufe62\u2719]|" + _DECORATION.pattern)


def fold_symbols(text: str) -> str:
    """Pluses to "+", emoji and decorative symbols removed: the text spam rules and the word
    scan see. Idempotent; cheap when the text has no such symbol."""
    if text.isascii() or _FOLDABLE.search(text) is None:
        return text
    return _DECORATION.sub("", text.translate(_PLUSES))


_QR_WORDS = re.compile(r"扫码|扫一扫|二维码|进群|加群|长按识别|识别图中")

SHORT_LINK_HOSTS = frozenset(
    [
        "t.cn",
        "dwz.cn",
        "url.cn",
        "w.url.cn",
        "suo.im",
        "bit.ly",
        "tinyurl.com",
        "is.gd",
        "goo.gl",
        "ow.ly",
        "t.co",
        "0x3.me",
        "mrw.so",
        "sohu.gg",
        "u.nu",
        "c.tb.cn",
        "m.tb.cn",
        "e.tb.cn",
        "tb.cn",
        "s.click.taobao.com",
        "dwz.mk",
        "kurl.cn",
        "s.yam.com",
        "rebrand.ly",
        "cutt.ly",
    ]
)
SHOP_HOSTS = frozenset(
    [
        "pinduoduo.com",
        "yangkeduo.com",
        "taobao.com",
        "tmall.com",
        "jd.com",
        "3.cn",
        "m.jd.com",
        "vip.com",
        "kwai.com",
    ]
)


def link_host(url: str) -> str:
    host = re.sub(r"^(?:https?://)", "", url).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    return host.removeprefix("www.")


def host_in(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def structural_signals(
    text: str,
    whitelist_domains: Sequence[str],
    *,
    is_image: bool = False,
    disguised: bool = False,
) -> list[Signal]:
    """Contact handles, phone numbers, links, QR codes, and the patterned offers.

    ``text`` is already normalised (NFKC, lower case). ``disguised``: the raw text wrote
    digits in circled, keycap or full-width form (see ``has_disguised_digits``).
    """
    out: list[Signal] = []
    if _CN_DIGIT_RUN.search(text) is not None:
        # "一三八一二三四五六七八", "幺三九…": numbers spelled in Chinese digits
        text = _CN_DIGIT_RUN.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)
        disguised = True
    has_digit = _DIGIT.search(text) is not None
    rest = text
    if "." in text:
        for found in _URL.finditer(text):
            url = found.group(0)
            host = link_host(url)
            if host_in(host, whitelist_domains):
                continue
            if host_in(host, SHORT_LINK_HOSTS):
                out.append(Signal("short_link", 10, url))
            elif host_in(host, SHOP_HOSTS):
                out.append(Signal("shop_link", 9, url))
            else:
                out.append(Signal("link", 4, url))
        rest = _URL.sub(" ", text)
    if has_digit or _LATIN.search(rest) is not None:
        compact = _DIGIT_GAPS.sub("", rest)
        for found in _HANDLE.finditer(compact):
            ident = (
                found.group("id")
                or found.group("id2")
                or found.group("id3")
                or found.group("digits")
            )
            if any(c.isdigit() for c in ident) or len(ident) >= 6:
                out.append(Signal("contact", 10, found.group(0).strip()))
                break
        if has_digit:
            phone = _PHONE.search(compact)
            if phone is not None and not any(s.code == "contact" for s in out):
                # a phone number in disguised digits is meant to slip past filters
                out.append(Signal("phone", 10 if disguised else 8, phone.group(0)))
    if is_image:
        qr = _QR_WORDS.search(text)
        if qr is not None:
            out.append(Signal("qr", 10, qr.group(0)))
    for code, pattern, points, needles in _PATTERNS:
        if needles.search(text) is None:
            continue  # the pattern cannot match: skip the costlier expression
        hit = pattern.search(text)
        if hit is not None:
            out.append(Signal(code, points, hit.group(0)))
    return out


# (code, pattern, points, a cheap expression the text must match for the pattern to)
_PATTERNS: tuple[tuple[str, re.Pattern[str], int, re.Pattern[str]], ...] = (
    ("price", _PRICE, 3, re.compile("元|块|rmb|¥|￥|折")),
    ("follower", _FOLLOWER, 7, re.compile("粉|赞|关注|播放|阅读")),
    ("proxy", _PROXY, 7, re.compile("代")),
    ("miracle", _MIRACLE, 6, re.compile("瘦")),
    ("bait", _BAIT, 5, re.compile("价值|名|日赚|月入|0")),
)


def combine(signals: Iterable[Signal], word_hits: dict[str, list[str]]) -> list[Signal]:
    """Structural signals plus word categories; a category counts once, plus a little per
    further distinct word, so five side-job words weigh more than one but not five times."""
    out: list[Signal] = []
    by_code: dict[str, Signal] = {}
    for signal in signals:
        previous = by_code.get(signal.code)
        if previous is None or signal.points > previous.points:
            by_code[signal.code] = signal
    for code, hits in word_hits.items():
        base = SPAM_WORDS[code][0] if code in SPAM_WORDS else 10
        previous = by_code.get(code)
        distinct = list(dict.fromkeys(hits))
        if previous is not None:
            extra = min(len(distinct), EXTRA_HIT_CAP) * EXTRA_HIT_POINTS
            by_code[code] = Signal(code, previous.points + extra, previous.evidence)
        else:
            extra = min(len(distinct) - 1, EXTRA_HIT_CAP) * EXTRA_HIT_POINTS
            by_code[code] = Signal(code, base + extra, "、".join(distinct[:3]))
    out.extend(by_code.values())
    return out


def total(signals: Iterable[Signal]) -> int:
    return sum(s.points for s in signals)
