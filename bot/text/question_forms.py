"""How group members put a question without a question mark or a question word.

Chinese asks yes or no by splitting a verb or adjective around 不 or 没 (包不包门票, 水冷不冷啊,
开不开门, 发没发, 课表发了没), asks a measure with 多 and an adjective (多远, 多重, 多深),
and often asks for a service by stating the wish to use it (明天的课想请个假, 想停卡一个月,
我要退卡): the FAQ answers how to. These are the forms both the cheap pre-filter
(normalize.looks_like_question) and the intent reading (qa_intent) recognise, so the clause a
member asks in is found the same way by both.

The same words also tell stories ("上次想请假没请成", "不管有没有时间") and idioms (动不动,
时不时, 好得不得了): those are not questions.
"""

from __future__ import annotations

import re

# A verb or adjective split around 不/没: 包不包, 冷不冷, 扣不扣, 有没有, 去没去, 喜不喜欢.
# Not the idioms of the same shape (动不动就, 时不时, 好得不得了, 不得不, 无论有没有).
_SPLIT = re.compile(r"([\u4e00-\u9fff])([不没])\1")
_SPLIT_IDIOMS = re.compile(r"动不动|时不时|得不得了|不得不")
_REGARDLESS = re.compile(r"(?:不管|无论|不论)[^，。,;；!！?？]{0,8}$")
# A question put to or by someone else, reported: "有人问我卖不卖皂", "问了前台包不包".
# ("想问下包不包" asks it now.)
_REPORTED = re.compile(
    r"问(?:过|了)?(?:一?下)?(?:[我你他她]们?|[^，。,;；\s]{0,3}"
    r"(?:老师|客服|前台|教练|店长|群主|管理员|班主任|工作人员))$|问(?:过|了)$"
)

# "课表发了没", "到了没有", "去过没", "还有名额没": asked of a thing done or had, or not.
# (A statement ends 没有 only after what it lacks: "我有个朋友也没有".)
_DONE_OR_NOT = re.compile(
    r"[了过][^，。,;；!！\s]{0,10}没有?[啊呀呢哈]?$|有[^，。,;；!！\s]{1,6}没[啊呀呢哈]?$"
)
# A bare 不 closing a verb phrase asks whether ("明天上课不", "收费不"): not after an adverb
# that makes it a plain no ("我才不", "一点都不", "根本不") or a verb of opinion ("我觉得不").
_BARE_NOT = re.compile(
    r"[\u4e00-\u9fff]{2}(?<![也都才并就还真可又倒绝决本再的得为说])不[啊呀呢哈]?$"
)
# A tag asking to confirm: "周三上课对吧", "是八点开始是吧".
_CONFIRM = re.compile(r"(?:对吧|是吧|对不|是不|没错吧)[啊呀呢哈]?$|^是[^，。,;；!！\s]{1,12}吧$")

# "跟得上不", "学得会不": whether a thing can be done, closed by a bare 不.
_CAN_OR_NOT = re.compile(r"[\u4e00-\u9fff]得[\u4e00-\u9fff]{1,2}不[啊呀呢]?$")

# 多 + an adjective asks a measure (多远, 多深, 多重); not 很多/好多/差不多 + a word that
# starts with the adjective (很多大学生, 差不多大).
_HOW_MUCH = re.compile(
    r"(?<![很好许太更最较挺不差众诸过繁居增蛮])多(?:远|重|深|高|宽|厚|贵|快|早|晚|沉|粗|细|胖|大|长|久|少)"
    r"(?!兴|样|彩|元|数|半|亏|点事|点儿事)"
)
# 多重 before a noun is "multiple" (多重优惠), not "how heavy".
_MULTIPLE = re.compile(r"多重(?=[\u4e00-\u9fff])(?![啊呀呢才算的了])")

# 几 + a measure word: 几楼, 几号线, 几站 (not 好几, 十几, 这几, 前几 which count vaguely).
_WHICH_NUMBER = re.compile(
    r"(?<![好十这那前过没])几(?:楼|层|栋|号线|站|米|圈|码|寸|届|遍|首|支|趟|单|折|成|份|所)"
)

# A question particle before an alternative: "电钢琴可以吗还是要买立式的".
_PARTICLE_THEN_OR = re.compile(r"[吗嘛么呢](?=还是|或者|或是)")

# Asking the group who knows, or for a thing: "有人知道…", "打听一下…", "求推荐…", "求个课表".
_WHO_KNOWS = re.compile(
    r"有人知道|哪位知道|求助|求教|求解答|求推荐|求介绍|打听一?下|^求(?:个|一[个份张下])"
)

# A wish to use a service the FAQ describes: the member asks how (想请个假, 想停卡一个月,
# 我要退卡, 今晚的课想取消, 打算续费, 帮我取消明天的课). The service is what a group's FAQ covers: leave,
# refunds, sign-up, make-up classes, renewal, transfer, pausing, booking, cancelling...
_WISH = r"(?:想要|想|打算|准备|需要|我要|本人要|帮我|给我)"
_SERVICE = (
    r"(?:请假|请[^，。,;；\s]{1,3}假|报名|报[个一]?名|报[^，。,;；\s]{0,2}班|"
    r"退费|退款|退钱|退卡|退课|退群|退会|退出|退掉|"
    r"补课|补[一几两个]?[节次堂]?课|补卡|补办|续费|续卡|续课|续报|续[个一几两]?期|"
    r"转让|转卡|转课|转给|转班|停卡|停[一几两]?[次节堂]?课|暂停|冻结|延期|顺延|"
    r"(?:改|调|换|转|挪)到|往后(?:挪|推|延|调)|推迟|延后|"
    r"取消|退订|挂失|升级|改期|改约|调课|换课|换班|换[个一]?(?:老师|教练|时间|班)|"
    r"约课|预约|约[个一]?|开发票|开票|办卡|办理|申请|体验课|试听|试课|兑换|投稿|加入|入会|入群|进群|"
    r"找[个一几]?[^，。,;；\s]{0,8}(?:人|伙伴|搭子|语伴|舞伴|球友|跑友|队友|室友|老师|教练|家教))"
)
_REQUEST_WISH = re.compile(
    r"(?<![不没别也还都就他她好真超很太])"
    + _WISH
    + r"(?:先|再|提前|临时|马上)?"
    + _SERVICE
    # "想报名的同学接龙": those who wish it, in an announcement, not a request.
    + r"(?!的(?!课|班|卡|钱|费|话))"
)
# The wish belongs to a story or a rule, not to now: past markers, a wish that failed
# (没请成), a turn, a condition an announcement sets ("如果想请假，提前一天说").
_NOT_NOW = re.compile(
    r"上次|上回|以前|之前|当时|那时|那会|后来|去年|前年|昨天|前几天|本来|原本|差点|结果|"
    r"没[^，。,;；\s]{0,3}成|[他她]们?|可是|但是|不过|如果|要是|假如|的话"
)
# "课要取消了", "老师要请假啦": a notice of what will happen, not a request.
_NOTICE = re.compile(r"[了啦喽][。.!！~～…]*$")


# "不管有没有时间都来", "好不好看都无所谓", "去不去都行": whether or not, it does not matter.
_WHETHER_OR_NOT = re.compile(
    r"(?:不管|无论|不论)[^，。,;；!！?？]{0,8}?([\u4e00-\u9fff])[不没]\1[^，。,;；!！?？]{0,6}|"
    r"([\u4e00-\u9fff])[不没]\2[^，。,;；!！?？]{0,4}[都也](?:无所谓|行|一样|没关系|没事|不要紧|随便|照样)"
)


# Characters one of the forms needs: a message with none of them asks in none of them.
_WISH_VERBS = ("想", "打算", "准备", "需要", "要", "帮我", "给我")
_FORM_CHARS = frozenset("不没多几吧知求听")


def without_whether_or_not(text: str) -> str:
    """The text without its "whether or not" phrases, which ask nothing."""
    return _WHETHER_OR_NOT.sub("，", text) if "不" in text or "没" in text else text


def told_not_now(text: str) -> bool:
    """Is a wish in the text told of the past or set as a condition (上次想请假, 如果想退费)?"""
    return _NOT_NOW.search(text) is not None


def split_question(text: str) -> bool:
    """Does the text ask yes or no by splitting a word (包不包, 冷不冷, 有没有)?"""
    for match in _SPLIT.finditer(text):
        start = match.start()
        window = text[max(0, start - 1) : match.end() + 2]
        if _SPLIT_IDIOMS.search(window):
            continue
        if _REGARDLESS.search(text[:start]) or _REPORTED.search(text[:start]):
            continue
        return True
    return False


def measure_question(text: str) -> bool:
    """Does the text ask a measure (多远, 多重, 几楼)?"""
    for match in _HOW_MUCH.finditer(text):
        if not _MULTIPLE.match(text, match.start()):
            return True
    return _WHICH_NUMBER.search(text) is not None


# A question word asks what, which or how: "什么颜色冷不冷" is not only yes or no.
_WHAT = re.compile(r"什么|啥|哪|怎|咋|多少|几")


def split_yes_no(text: str) -> bool:
    """A yes/no question put as a split word or a bare 不/没 close (冷不冷, 发了没, 跟得上不)."""
    if _WHAT.search(text):
        return False
    return (
        split_question(text)
        or _DONE_OR_NOT.search(text) is not None
        or _CAN_OR_NOT.search(text) is not None
        or _CONFIRM.search(text) is not None
        or _BARE_NOT.search(text) is not None
    )


def request_wish(text: str) -> bool:
    """Does the text ask for a service by stating the wish to use it (想请个假, 我要退卡)?"""
    return wish_start(text) is not None


def wish_start(text: str) -> int | None:
    """Where the stated wish for a service starts in the text (None: there is none).

    What comes before it is the reason or the occasion ("孩子发烧了明天的课 | 想请个假").
    """
    if not any(verb in text for verb in _WISH_VERBS):
        return None  # most messages: no wish verb at all
    if _NOT_NOW.search(text) or _NOTICE.search(text):
        return None
    match = _REQUEST_WISH.search(text)
    if match is None:
        return None
    return match.start()


def asks_without_question_word(text: str) -> bool:
    """A question put in one of the forms above (the text of one clause or a message)."""
    if _FORM_CHARS.isdisjoint(text) and not _PARTICLE_THEN_OR.search(text):
        return False
    return (
        split_question(text)
        or _DONE_OR_NOT.search(text) is not None
        or _CAN_OR_NOT.search(text) is not None
        or _CONFIRM.search(text) is not None
        or _BARE_NOT.search(text) is not None
        or measure_question(text)
        or _PARTICLE_THEN_OR.search(text) is not None
        or _WHO_KNOWS.search(text) is not None
    )
