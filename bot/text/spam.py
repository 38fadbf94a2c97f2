"""Spam (ads, 引流, 微商, scams) as a scored rule model with explainable signals.

Each rule that fires adds points and names its evidence. A message is spam at
``SPAM_THRESHOLD`` points. Evidence is graded:

- hard evidence (``HARD_EVIDENCE``): a contact handle with an id, a phone number (also in
  Chinese, capital, circled, full-width, spaced or masked digits), a link, a QR code, an
  operator's ad word. Only hard evidence (or a repeat offer after a public warning, which
  the handler knows) may lead to a public step.
- offer vocabulary: 涨粉, 兼职, 代写, loans, health products, farm/factory goods, prices,
  calls to contact privately... Several together can make a message spam, but alone they
  are worth at most a private note to admins, because members talk about such things
  innocently too ("公众号涨粉好慢" in a writing group, a story of a past side job).

Word categories are matched by the classifier's single lexicon scan (``SPAM_WORDS``);
structural signals are regular expressions here (``structural_signals``); ``combine``
weighs them together (a price with a call to contact privately is a sale; a first-person
story with no call to contact is not an offer)."""

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
        return f"{self.code}{self.points:+d}({self.evidence})"


# What each signal means, in the member-facing language.
REASON_LABELS: dict[str, str] = {
    "contact": "留联系方式",
    "phone": "电话号码",
    "short_link": "短链接",
    "shop_link": "购物助力链接",
    "link": "外部链接",
    "qr": "二维码图片",
    "image_after_promo": "推广文字后发图",
    "follower": "涨粉刷量",
    "sidejob": "兼职副业招募",
    "job_fee": "招工先收费",
    "proxy": "代写代办/代运营",
    "goods": "售卖商品",
    "shop": "购物平台",
    "bait": "福利诱导",
    "bargain": "砍一刀/助力",
    "scam": "刷单返利/投资诱导",
    "loan": "贷款/债务协商",
    "health": "保健品/疗效宣传",
    "miracle": "夸大宣传",
    "cta": "引导私聊/扫码",
    "price": "报价",
    "pitch": "推销话术",
    "debt": "借贷话题",
    "sale": "报价并引导私聊",
    "story": "个人经历",
    "operator": "管理员设置的广告词",
    "adult": "色情/交友引流",
    "gamble": "赌博",
    "warning": "提醒防骗",
    "surplus": "转让自用物品",
    "recruit": "招人",
    "reported": "转述他人",
    "stock": "长期供货/接单",
    "meetup": "约群友见面",
}

# Signals that are hard evidence of an ad: something a reader can contact or open. Only
# these (or a repeat offer after a public warning) may lead to a public step.
HARD_EVIDENCE = frozenset(
    {"contact", "phone", "short_link", "shop_link", "link", "qr", "image_after_promo", "operator"}
)

# category -> (points for the first word, words). Lower case; matched as substrings.
SPAM_WORDS: dict[str, tuple[int, str]] = {
    "follower": (
        7,
        """涨粉 刷粉 买粉 活粉 真人粉 僵尸粉 真粉 刷阅读 刷量 刷赞 刷点赞 刷播放 刷评论 刷关注
        刷流量 刷浏览 真人关注 互粉 互关 互赞 粉丝量 千粉 万粉 点赞关注 涨赞 破千粉 破万粉""",
    ),
    "sidejob": (
        6,
        """兼职 日结 一单一结 宝妈 手机操作 动动手指 副业 躺赚 日赚 日入 月入 轻松赚 零投入
        零成本 零门槛 招代理 代理加盟 加盟 被动收入 在家赚 在家就能 足不出户 时间自由 收入可观
        学生党 有手就行 手工活 在家手工 打字员 录入员 一天能挣 一天挣 在家可做
        手机就能做 诚招 就能赚 就能挣 能赚钱 在家赚钱 看视频赚 一天一两百 一天几百 想赚钱的 时薪 日薪
        招合伙人 诚招合伙人 总部扶持 轻松开店 多劳多得 计件结算 计件工资 外发 空闲时间 碎片时间
        每天一小时 每天两小时 赚外快 外快 赚零花钱 介绍费 返佣 拉人头 带新人 零基础可做 小白可做
        新手可做 无需经验 在家录音 零投资 在家做手工 粉丝也能做 小白也能做 基础也能做 不囤货 不压货 零囤货 不压钱 带娃也能 带娃赚钱 在家带娃也""",
    ),
    "proxy": (
        7,
        """微商 专业代 代运营 包原创 原创保证 保证原创 包涨粉 起号 陪跑 铺量 素人铺量 包教包会
        承接 接单 代办 降重 代降重 论文润色 代开发票 代开 包办""",
    ),
    "goods": (
        5,
        """高仿 原单 工厂直销 厂家直销 一手货源 货源 批发 正品 全网最低 出售 低价出 清仓
        甩卖 秒杀价 现货 低价 厂家直发 厂家直供 工厂价 出厂价 源头工厂 一件代发 拿货价
        产地直发 产地直供 原产地 基地直供 现摘现发 现摘 现挖 农户自产 农家自产 自家果园
        自家茶园 自家种植 农家 土鸡蛋 散养 专卖 纯正 无添加 买一送一 买二送一 买三送一
        不甜包退 包退 工厂直发 工厂直供 专享 纯天然 起订 起批 团购价 团队价 定制 回收 高价收购 收购 全套 电子版
        打包带走 正宗 尾货 高价回收 临期 低价处理 清库存 网盘秒发 网盘发货 秒发 自动发货 全集""",
    ),
    "shop": (3, "拼多多 拼夕夕 拼xx 拼dd pdd"),
    "bait": (
        5,
        """限时福利 【福利】 福利来了 免费领 免费送 领红包 领取红包 先到先得 名额有限 仅限今天
        速来 速抢 大礼包 礼包 不是梦 大额券 内部券 优惠券群 进群领 进裙领 加群领 入群领 免费领取 领取资料
        领取教程 点击链接 点击领取 戳链接 戳这里 链接领取 限时 限量 免费听 发红包 福利群 新群
        看过来 转发到 截图给我 集赞 转发朋友圈 免费试听 试听免费 免费试课 体验课免费 0元试听
        免费游 免费旅游 送礼品 领鸡蛋 名额不多 仅剩 仅此一批 最后一批 手慢无 要的抓紧 卖完即止 数量有限 抓紧下单
        领取免费 免费试吃 试吃装 试用装 随到随学 小班教学 月薪过万 月薪上万 免费重学""",
    ),
    "bargain": (
        8,
        """砍一刀 帮我砍 帮忙砍 砍价 助力 帮我投 投一票 帮忙点一下 多多助力""",
    ),
    "scam": (
        8,
        """刷单 返利 返现 网赚 稳赚 高回报 投资回报 带你赚钱 带你理财 稳赚不赔 保本 内幕消息
        荐股 牛股 博彩 棋牌 彩票 零风险 无风险 日息 月息 带单 喊单 内部名额 usdt 内部消息
        必涨 翻十倍 涨十倍 高收益 保本高收益 养老项目 养老投资 搬砖套利 收益翻倍 数字藏品 原始股
        内部认购 挖矿 矿机 区块链项目 领佣金 赚佣金 佣金日结 佣金秒返 点赞员 拍单 刷好评
        返本金 本金加佣金 垫付后返 投资小 回报高 低投入 高回报 小投入 工资抵学费 搬砖""",
    ),
    # Gambling sites: their lure words (a deposit bonus, a rebate on stakes) are nobody's
    # everyday talk.
    "gamble": (
        8,
        """彩金 返水 娱乐城 真人娱乐 百家乐 赌场 线上赌场 充值就送 注册就送 注册送 首充送 投注
        赌球 六合彩 时时彩 老虎机 电子游艺 真人荷官 体育投注 开户送 提款秒到 赛车pk10""",
    ),
    # Sex and "dating" lead generation. Loneliness alone is innocent ("一个人有点寂寞"):
    # only the phrasings of the trade are listed, the rest is ``_ADULT``.
    "adult": (
        8,
        """约炮 裸聊 一夜情 成人用品 情趣用品 成人视频 福利视频 午夜福利 美女一对一 一对一视频
        陪聊 学生妹 美女技师 上门按摩 按摩上门 莞式 特殊服务 私密发货 妹子在线 美女在线 美女陪玩 私密不外传 同城交友
        同城私密 同城美女 同城妹子 楼凤 寂寞的来 深夜寂寞 单身寂寞""",
    ),
    "loan": (
        8,
        """停息挂账 协商还款 协商分期 延期还款 协商延期 分期还款 债务优化 债务重组 征信修复
        修复征信 不看征信 不查征信 不查负债 黑户 秒批 秒下款 下款 放款 当天到账 无抵押
        无担保 免抵押 低息 信用贷 凭身份证 只还本金 减免违约金 减免利息 逾期不用怕 法务团队
        急用钱 手机就能借 凭工牌 凭社保 凭公积金 凭营业执照 额度最高 最高额度 零首付 不查流水 秒到账 无需抵押 黑白户 包下款 下不了款 个性化分期 停止催收
        包下卡 大额信用卡 快速提额 代办信用卡 债务规划 债务处理 债务咨询 个人债务 负债上岸""",
    ),
    "health": (
        6,
        """降三高 降血糖 降血压 降血脂 降尿酸 清理血管 软化血管 疏通血管 增强免疫力 提高免疫力
        调理身体 祖传 秘方 偏方 保健品 益生菌 酵素 鱼油 孢子粉 纳豆激酶 叶黄素 胶原蛋白肽
        护肝片 磁疗 理疗仪 排毒 养颜 抗衰老 一瓶顶 药到病除 无副作用 纯中药 中药调理 见效快
        三天见效 软胶囊 美白丸 美白针 瘦身丸 减肥药""",
    ),
    "miracle": (
        6,
        """不节食 不反弹 躺瘦 月瘦 祛斑 丰胸 增高 根治 包治 特效药 无效退款 一个疗程 包过 保过
        包就业 保分 包拿证 包上岸 包通过 推荐就业 国家认证 押题 内部押题 内部资料 原题 保证抢到
        不过退款 不过全额退款 不过退费 保过协议 考前答案 考试答案 提前拿答案 真题答案 保录 包录取
        保录取 名校保录 包提分 保提分 不用考试拿证 不考试拿证 直接拿证 快速拿证 刻章 全国可查
        学信网可查 降压茶 降糖茶 速成 不用考试 无需考试 保证提分 保证通过 保证拿证 保证过
        不用考核 无需考核 直接入会 直接发证 直接下证""",
    ),
    "cta": (
        5,
        """私聊 私信我 私我 联系我 联系方式 加我 加v 加微 加薇 +v 添加助理 加助理 有意者 有意向 感兴趣的 有兴趣的
        有需要的 需要的私 需要的扫 需要的联系 详情咨询 戳我 滴滴我 进群 加群 扫码 扫一扫 二维码
        看主页 主页有 主页联系 看我主页 点我主页 我主页 点我头像 点头像 看我头像 看头像 戳头像
        头像联系 同号 详聊 详询 电话咨询 咨询电话
        联系电话 加我v 绿泡泡 +vx +wx +q 咨询 电话 进裙 加裙 看我朋友圈 朋友圈有 看朋友圈
        嘀嘀我 dd我 扣1领 扣1送 扣1免费 进群领 进裙领 加群领 入群领 私信 联系助理 添加客服 加客服
        拉你进 拉群 私信回复 订购电话 热线 打电话 找我 找我们 留言 了解请 欢迎咨询 有意的
        想做的 想了解的 要的私 要的滴 要的加 扣1 要的扣 要的联系 联系 欢迎来电 来电咨询""",
    ),
    "price": (
        3,
        """低至 特价 优惠价 量大从优 价格优惠 价格实惠 价格美丽 包邮 最低价 只要 仅需 原价 价更优惠
        拿优惠 加价 半价 面议 价格面议 量大优惠 内部价 量大价优 返点""",
    ),
    # Selling talk: addressing "you" with a service, a problem made light of. Innocent
    # alone ("我帮你看看"), it weighs with an offer or a call to contact.
    "pitch": (
        3,
        """帮你 帮您 为你 为您 替你 替您 带你 包你 让你 专业团队 我们团队 一站式 别怕 不用怕
        不用愁 不要怕 有救了 告别 上门 保证 教你 我们机构 本机构 我们专业 专业处理 随叫随到
        都能谈 都能办 都能处理 神器 一条龙 可分期 分期付款 当天成交 当天打款 当天结算 现金结算
        现金回收 上门服务 一对一辅导""",
    ),
    # A seller's stance: supply that lasts, a catalogue, every branch served. A member
    # passes on one thing once; alone these sell nothing, with an offer or a call they do.
    "stock": (
        3,
        """长期有效 长期出 长期收 长期有 长期供应 长期接 长期出票 长期有货 票源 一手票源 票源充足
        货源充足 库存充足 货源稳定 全站可代 各站都接 全国都接 全国可代 每天上新 天天上新
        价格表 价目表""",
    ),
    # Recruiting: groups recruit members and volunteers ("跑团招募新成员，有兴趣的私信我"),
    # colleagues pass on openings. Little alone, even with a call to contact; pay by the
    # day, a fee or a side-job word makes the offer.
    # Pay and board (包吃住, 底薪) describe a real job as much as a lure: recruit words too.
    "recruit": (2, "招募 招聘 招学徒 招生 包吃住 底薪 五险一金"),
    # Money-trouble words: members talk about debts too; with a pitch or a call to contact
    # they are a loan or debt-negotiation ad.
    "debt": (
        3,
        """逾期 负债 欠款 网贷 信用卡 征信 借呗 花呗 贷款 首付 流水 分期 催收 利息 银行
        车贷 房贷 借钱 征信花 额度""",
    ),
}
# Offer words naming whom an ad is aimed at: in a group of those very people (a mothers'
# group and 宝妈) they are how members speak of themselves, not a lure.
AUDIENCE_WORDS = frozenset({"宝妈", "学生党"})
# Call-to-action words that only name the phone: they add nothing to a phone number itself
# ("王老师的电话是139…吗" is a member asking, not an ad).
PHONE_WORDS = frozenset({"电话", "电话咨询", "咨询电话", "联系电话", "订购电话", "热线", "打电话"})
# Calls to contact that address whoever wants something: an offer is implied.
_SOLICITING_WORDS = """有意者 有意向 有意的 有需要的 需要的私 需要的扫 需要的联系 感兴趣的 有兴趣的 想了解的
    想做的 要的私 要的滴 要的加 要的扣 要的联系 欢迎咨询 详情咨询 咨询 详聊 详询 同号
    欢迎来电 来电咨询"""
SOLICITING = frozenset(_SOLICITING_WORDS.split())
# Offer categories: what the message is selling (a call to action alone sells nothing).
OFFERS = frozenset(
    {
        "follower",
        "sidejob",
        "proxy",
        "goods",
        "bait",
        "scam",
        "loan",
        "health",
        "miracle",
        "job_fee",
        "gamble",
        "adult",
    }
)
SALE_POINTS = 4  # a price together with a call to contact privately: a sale
# Categories whose further words add nothing: a job post names its pay and board together
# ("包吃住，底薪 4000") without being more of an offer for it.
_SINGLE_WEIGHT = frozenset({"recruit"})
_DEBT_PARTNERS = frozenset({"cta", "pitch"} | HARD_EVIDENCE)
SURPLUS_POINTS = -5  # a member passing on what they have too much of, with no contact shown
STORY_POINTS = -6  # a first-person story of the past, with no call to contact: not an offer
WARNING_POINTS = -8  # a warning against an offer, with no contact to reach: not an offer

_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)"
# a sum in Chinese numerals, not "一块" (together) or "一本": two numerals or a 十/百/千/万
# (starting where a run of numerals starts: a long run is scanned once, not from each numeral)
_CN_SUM = (
    r"(?<![一二两三四五六七八九十百千万])"
    r"(?:[一二两三四五六七八九]?[十百千万][一二两三四五六七八九十百千万]*|[二两三四五六七八九]{2,})"
)
_UNIT = r"(?:套|盒|斤|箱|件|瓶|位|期|条|单|份|袋|罐|支|包|台|本|辆|只|双|张|公里)"
_PRICE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:元|块|rmb)|[¥￥]\s*\d+|(?<!\d)\d\s*折"
    rf"|\d+(?:\.\d+)?\s*(?:一|/|每)\s*{_UNIT}"
    rf"|(?:一|每|/)\s*{_UNIT}\s*(?:(?:只要|仅需|仅|才)\s*{_NUM}|\d+(?:\.\d+)?)"
    rf"|(?:只要|仅需|仅售|特价|售价|原价|现价|学费|拿货价)\s*{_NUM}"
    rf"|{_CN_SUM}\s*(?:元|块)|(?:一|每)\s*{_UNIT}\s*{_CN_SUM}(?![\u4e00-\u9fff])"
    rf"|{_CN_SUM}\s*(?:一|每)\s*{_UNIT}|(?<![\u4e00-\u9fff])[二三四五六七八九]\s*折(?!腾)"
    r"|[一二三四五六七八九十]块[一二三四五六七八九](?![块\u4e00-\u9fff])|[二三四五六七八九]块[一二三四五六七八九]"
    # a price given in private: "价格私聊", "价格详聊"
    r"|价格?(?:私聊|私信|详聊|私我|私)"
    # an asking price: "3999 出", "一口价 200" (not "30 出头")
    r"|\d{2,}\s*(?:元|块)?\s*(?:出|转)(?=[，。,.!！\s]|$)|一口价\s*\d+"
    # a price comparison, a seller's argument: "比超市便宜一半", "比市场价低三成"
    r"|比[^，。,.!?？！]{1,6}(?:便宜|低|省)\s*(?:一半|\d|[一二三四五六七八九十几]+)"
)
# More ways to state a price, kept apart from ``_PRICE`` behind a needle of their own (a
# digit after a unit, a discount, a starting price): most messages never try them.
_PRICE_MORE = re.compile(
    # a price for a circle of buyers: "宠友价 39", "团购价 68"
    r"(?:[\u4e00-\u9fff]友|团购|会员|新人|宝妈|业主|内部|粉丝|专属|特惠|活动|体验|首单|秒杀|福利)"
    r"(?:专享)?价\s*\d+|专享价\s*\d+"
    # per square metre, hour or session: "每平 699", "一小时 30" (not "每次 20 分钟")
    r"|(?:一|每|/)\s*(?:平米|平方|平|㎡|小时|次|节|课时)\s*\d+(?:\.\d+)?(?![\d.]*\s*(?:分|秒|公里"
    r"|km|个|页|字|遍|组|天|斤|厘米|cm|毫米|mm|度|%|岁|米|次|人|小时|平|块钱))"
    # a pack and its price: "五斤装 39"
    r"|(?:\d+|[一二两三四五六七八九十])\s*(?:斤|公斤|kg|克|片|个|瓶|支|盒|袋|罐|粒)装\s*\d+"
    # a count and its price: "三包 29.9" (not "两本 3 天": the number ends the phrase)
    rf"|(?:[一二两三四五六七八九十]|\d+)\s*{_UNIT}\s*\d+(?:\.\d+)?(?=\s*(?:元|块|[，,。!！~～]|$))"
    # a starting price: "300 起", "39 元起"
    r"|\d+\s*(?:元|块)?\s*起(?=[，,。.!！\s]|$)"
    # a discount offered: "下单八折", "全场七折"
    r"|(?:打|享|全场|一律|均|下单|立享|低至|限时)\s*[二三四五六七八九]\s*折"
)
# A price list: three or more named items each with a price ("手幅 25 灯牌 68 手环 39"). A
# member quotes one price; a seller lists the catalogue. (A date is no item: "7 月 12 日".)
_PRICE_ITEM = r"[\u4e00-\u9fffa-z]{2,8}[\s:：]*\d{2,5}(?:\.\d+)?\s*(?:元|块)?"
_PRICE_LIST = re.compile(rf"(?:{_PRICE_ITEM}[\s，,、；;/]+){{2,}}{_PRICE_ITEM}")
# ... and only where money is spoken of: "数学 135 语文 120 英语 140" is a report card
_MONEY_CUE = re.compile(r"价|现货|售|卖|包邮|元|块|款|[¥￥]")
_FOLLOWER = re.compile(
    r"\d+\s*元\s*\d+\s*个?(?:粉|赞|关注|播放|阅读)"
    r"|(?:\d+|[一两几千万百])(?:千|万|百)?\s*个?(?:粉|赞|关注)\s*(?:只要|仅需|\d)"
)
# 代 + a service verb: 代写, 代购, 代运营, 代打卡 ... but not 现代, 时代, 代码, 代表, 代替
_PROXY = re.compile(
    r"(?<![现时年古近当一二三四后历世换替取])代(?:写|购|发|刷|考|练|做|拍|跑|还|课|运营|种|养|办"
    r"|剪|画|打|挂|录|排|开|注册|缴|充|抢|修|签|报|查|交|改|降|投|上|骑|走|跳|学|背|订|钓|买|看网课|听课)"
    r"|\d+\s*字?起接|帮(?:你|您)(?:刷|写|代|考|改|办)|(?:专业|提供)[^，。,.!?？！]{0,6}(?:服务|代)"
    # a trade's service offered: "专业跑步机维修", "上门安装"
    r"|专业[^，。,.!?？！]{0,6}(?:维修|安装|清洗|保洁|开锁|疏通|搬家|回收|除甲醛)"
    # taking orders of every kind: "接各类ppt", "承接各种维修"
    r"|(?:接|承接|专接|代做)(?:各类|各种|各式|一切)"
)
# Farm produce sold by its grower ("自家养的蜂蜜", "自家种的橙子"), goods sold from where
# they are made ("工厂直发", "源头厂家批发", "产地发货").
_FARM = re.compile(
    r"自家(?:种|养|产|做|酿|晒|腌|榨|炒|果园|茶园|地里)"
    r"|(?:工厂|厂家|源头|产地|基地|果园|茶园|农场|牧场|渔场|蜂场)(?:直发|直销|直供|直营|直邮|发货"
    r"|出货|批发|价)"
)
# Investment lures: following a mentor's trades, a daily return in percent.
_INVEST = re.compile(
    r"(?:跟着?|跟随)(?:老师|导师|大神|大佬|师傅)[^，。,.!?？！]{0,4}(?:投资|炒|理财|跟单|赚钱)"
    r"|(?:每天|每日|一天|日|天天)(?:收益|回报|盈利|利润|稳赚|赚)\s*(?:\d+(?:\.\d+)?\s*%|百分之)"
)
# Sex-trade lead generation in its usual phrasings: loneliness offered company, "同城" plus
# a date or a girl (not "同城约跑": sports groups meet that way).
_ADULT = re.compile(
    r"(?:寂寞|空虚|单身)[^。]{0,4}?(?:的来|了吗|约吗|找我|私我|来聊|陪你)"
    r"|同城[^，。,.!?？！]{0,2}(?:约炮|约会|交友|私密|夜聊|美女|妹子|上门)"
)
# Addressing people in money trouble ("网贷逾期的朋友", "有征信问题的"): a debt-negotiation
# pitch, where a member would ask about their own case.
_TROUBLED = re.compile(
    r"(?:逾期|负债|征信|还不上|催收|网贷|信用卡|欠款|债务|花呗|借呗)[^，。,.!?？！]{0,6}"
    r"(?:的(?:朋友|家人|人|宝子|姐妹|兄弟|老板)|问题的(?=[，,、\s]))"
)
# A member passing on their own surplus ("我买多了两袋，原价转，私聊"): a price and a call to
# contact without a trade behind them.
_SURPLUS = re.compile(
    r"买多了|多买了|用不完|用不上|吃不完|闲置|自用|搬家转|原价转|低于原价转|二手|[九八七]成新"
    r"|用了(?:\d+|[一二两三四五六七八九十半几])\s*(?:个月|年|天|周|次)"
    # one spare of one's own, passed on to the group: "多抢了一张，原价出给群里的姐妹"
    r"|多抢了?|多出了?(?:一|两)张|原价出|原价转|亏点出|[去用看]不了了?|临时(?:有事|加班)|不想去了"
    r"|群友优先|出给群里|送给?同城|拆盒展示|[拆开]盒未|盒子完好"
    r"|买大了|买小了|穿小了|穿不下|穿不了|尺码不合适|吊牌|没拆封|未拆封|只穿过|就穿过|只用过|就用过"
)
# A member warning the others against an offer ("有人私聊我说能代练，大家别信"): the offer
# words are reported, not made. (Not "不是骗子", which is a seller's reassurance.)
_WARNING = re.compile(
    r"(?<!不是)(?<!不会)(?<!绝不)(?:骗子|被骗|上当|防骗|别信|不要信|别相信|不要相信|大家小心"
    r"|小心上当|小心被骗|诈骗|骗局)"
)
_MIRACLE = re.compile(
    r"(?:月|周|天|一个月)瘦\s*\d+\s*(?:斤|公斤|kg)|瘦\s*[十二三四五六七八九]+\s*斤"
)
_BAIT = re.compile(
    r"价值\s*\d+\s*元|前\s*\d+\s*名|日赚\s*\d+|月入\s*(?:\d+|过万|上万)|(?<![\d.])0\s*元"
)
# Earnings promised per day or month: "一天轻松三五百", "每天能挣 200".
_EARNINGS = re.compile(
    r"(?:一天|每天|日|月|一个月)(?:(?:轻松|稳|能|可|就能|随便|躺着|最少)?(?:赚|挣|收入|入)|轻松|稳)\s*"
    r"(?:\d{3,}|[一二两三四五六七八九几]{1,2}[百千万]|过万|上万)(?:元|块|\+)?(?![\u4e00-\u9fff])"
    # a day's pay in hand: "每天 200 到手", "日结 300"
    r"|(?:一天|每天|每日)\s*(?:\d{3,}|[一二两三四五六七八九]{1,2}[百千])\s*(?:元|块)?\s*(?:到手|起步|不是梦)"
    # a little time a day: "每天只需两小时"
    r"|每天(?:只需|只要|仅需|花)\s*(?:[一两二三\d]|半)\s*个?小时"
    # a day's or a month's pay as a rough range: "一天两三百", "一个月七八千"
    r"|(?:一天|每天|一个月|每月)(?:收益|收入|能赚|能挣|赚|挣)?\s*[一二两三四五六七八九]{2}[百千万](?:元|块|\+)?"
    r"(?![\u4e00-\u9fff])"
)
# A job that asks for money first: "入职先交会员费99", "先交材料押金两百".
_JOB_FEE = re.compile(
    r"(?:交|付|缴|收)[^，。,.!?？！]{0,8}(?:押金|保证金|会员费|会费|入会费|培训费|材料费|服装费"
    r"|工本费|入职费|激活费|手续费|资料费|体检费|报名费|测试费|考核费|装备费)"
    # "押金可退": the deposit is asked for, its return is the lure
    r"|(?:押金|保证金)(?:可退|全退|随时退|秒退)"
    # any fee to be paid first: "需先交 800 挂靠费"
    r"|(?:先|需|需要)(?:交|付|缴纳?)[^，。,.!?？！]{0,10}费"
)
_JOB_CONTEXT = re.compile(
    r"招|兼职|岗位|入职|上岗|工作|打字员|手工|日结|挣|赚|工资|务工|劳务|月薪|打工"
)
# Guarantees a seller cannot give: "不过全额退款", "无效退费".
_REFUND_PROMISE = re.compile(
    r"(?:不过|无效|不见效|没效|过不了|没效果|不成功|不录取|没录取|不提分|没提分|学不会|不会|不流利|不满意|达不到"
    r"|不达标|不漏|不好|没好|治不好|修不好)"
    r"[^，。,.!?？！]{0,3}(?:退(?:款|费|钱|一半|全款|学费)|不收(?:费|钱)|不要钱|免费重学|免费重修)"
    # paid only on success: "不漏水才收钱", "先学后付"
    r"|(?:不漏|有效|满意|达标|成功|通过|见效|学会)[^，。,.!?？！]{0,2}(?:才|再)(?:收|付)(?:钱|费|款)"
    r"|先(?:学|用|试)后付"
)
# A first-person story of the past ("我以前当宝妈时做过兼职"): offer words in a memory.
_STORY = re.compile(
    r"(?:以前|之前|曾经|当年|那时候?|那会儿?|年轻时|小时候|刚毕业|后来|去年|前年|"
    r"做过|干过|当过|待过|打过|试过|找了份|找了个|找到了?份)"
)
_FIRST_PERSON = re.compile(r"我|俺")
# Whoever wants something, called to contact: "有需要装修的业主可以找我", "想做副业的姐妹",
# "想学的私我" -- an offer is implied. (Not "有需要的话", a member offering a favour.)
_SOLICIT = re.compile(
    r"(?:有需要|需要|想要?|有意|要)[\u4e00-\u9fffa-z]{1,10}的(?:朋友|业主|家长|宝妈|姐妹|兄弟|老板|宝子"
    r"|亲|私|找|联系|加|滴|戳|看|扣|进)"
    r"|(?:有需要|需要|想要?|有意)的[\u4e00-\u9fff]?友"
    # a bare "私" closing the message: "五斤装 39，私"; the price in private: "价格私"
    r"|[，,、\s]私[。.!！~～]*$|价格?(?:私(?![人家下底])|详聊|详谈)"
    # the buyers addressed: "美容店老板们私聊", "宝妈们滴滴我"
    r"|(?:老板|业主|宝妈|姐妹|家长|宠友|跑友|兄弟|宝子)们?[，,：:\s]?(?:可以|请|直接)?(?:私|找我|加我|滴滴|戳我|看主页|扣1"
    r"|来电|咨询|订购|选购)"
    # a task to claim a gift: "只需关注公众号转发朋友圈"
    r"|(?:只需|只要|仅需)(?:关注|转发|分享|扫码|进群|拉)"
    # followers drawn to another platform: "关注我的抖音号"
    r"|关注我的?(?:抖音|快手|小红书|公众号|视频号|b站|微博|直播间)"
)
# A provider presenting themselves or their service: "本人专业做防水", "十年老师傅",
# "24小时上门", "当天交付". (A member recommending a worker speaks of "他", "师傅".)
_VENDOR = re.compile(
    r"(?:本人|本店|本公司|我司|我们|我)(?:是|为|这边|这里)?(?:专业|专做|专注|专门|正规|持证|资深)"
    r"|(?:\d+|[一二三四五六七八九十几]+)年(?:老师傅|经验|老店|老品牌|专注)|多年(?:经验|老店)"
    r"|24\s*小时(?:上门|服务|在线|营业|接单)|同城上门|当天(?:交付|出图|出稿|完成|上门)"
    r"|上门(?:看货|回收|收购|估价|评估)"
    # years in a trade: "做外墙防水二十年"
    r"|(?:做|干|从事|专注)(?!了)[\u4e00-\u9fff]{1,6}?(?:\d{1,2}|[二三四五六七八九十]+|十几|几十)年(?!了|多了)"
    # a problem asked at the start, its cure offered next: "猫咪掉毛厉害？这个营养膏..."
    r"|^[^，。,.!?？！]{2,14}[?？]\s*(?:这款|这个|我们|我家|我这|本店|找我|试试|用我)"
)
# Free service or a place limited in number: "免费上门量房", "每月仅限 10 户", "仅限前 50 名".
_LURE = re.compile(
    r"免费(?:上门|设计|量房|出图|出方案|测量|检测|评估|体验|诊断|试学|试做)"
    r"|仅限\s*(?:前\s*)?(?:\d+|[一二三四五六七八九十]+)\s*(?:名|位|人|户|个|家|组|单)|每(?:天|日|月|周)仅限"
    r"|(?:新店|店铺|门店|店)开业|开业(?:酬宾|优惠|特惠|活动|福利|大吉)"
    r"|(?:零元|0元|免费)(?:学|培训|拿)|关注[^，。,.!?？！]{0,8}(?:就送|送|免费领)"
    # a success rate claimed: "成功率 99%", "通过率高达 98%"
    r"|(?:成功率|通过率|过审率|下款率|录取率|准确率|上岸率)\s*(?:高达|达|超)?\s*(?:9\d|100)\s*%"
)
# Skill or a certificate promised within days: "三天学会", "七天拿证".
_QUICK_RESULT = re.compile(
    r"(?:[一二两三四五六七八九十几]|\d+)\s*(?:天|周|个月)(?:就能|就|即可|包)?(?:学会|拿证|出师|上手|精通)"
)
# Efficacy promised within a time: "一次见效", "两周根治".
_EFFICACY = re.compile(
    r"(?:[一两三四五六七八九十几]|\d+)\s*(?:次|天|周|个月|疗程)(?:就|即|便)?(?:见效|痊愈|根治|去根|断根|除根)"
    r"|(?:吃|用|喝|贴|涂|抹|戴|喷|擦|泡|敷)了?(?:[一两三四五六七八九十几]|\d+)\s*(?:次|天|周|个月|疗程|瓶|盒)"
    r"(?:就|即|便)(?:好|能好|不疼|消失)"
)
# An offer reported, not made: "有人私聊我说能代练", "群里有人发刷单兼职", "看到有人推销".
_REPORTED = re.compile(
    r"有人[^，。,.!?？！]{0,8}?(?:私聊|私信|加我|找我|发了?|说|冒充|推销|打电话|骚扰)"
    r"|(?:看到|收到|遇到|碰到)[^，。,.!?？！]{0,6}(?:广告|推销|骚扰)"
)
REPORTED_POINTS = -6
# A member giving their own contact to meet the group ("模型展有人去吗，我微信 xx 约着一起逛"):
# a handle with a meeting and nothing on offer is no ad.
_MEETUP = re.compile(
    r"一起(?!赚|挣|发财|致富|创业|做|干|学)[\u4e00-\u9fff]|聚一下|聚聚|线下聚|约着|碰个头|见个面|面基|组队|结伴"
)
# ... asked of the group, not announced to strangers ("每天往返拼车，V：xx" is a service)
_TO_THE_GROUP = re.compile(r"吗|[?？]|有人|谁|大家|群里|群友|姐妹|兄弟|咱们")
MEETUP_POINTS = -6

# Ads written in English (a language group reads them as well as Chinese ones). Whole words
# only: not inside another word, nor glued to letters.
_EN = r"(?<![a-z])(?:{})(?![a-z])"
_EN_CTA = re.compile(
    _EN.format(
        r"dm me|pm me|inbox me|text me|message me|contact me|add me on|reach me on|reach out to me"
        r"|whatsapp|telegram|for details|for more info"
    )
)
_EN_SIDEJOB = re.compile(
    _EN.format(
        r"(?:earn|make|making|earning)\s+(?:\$\s?\d|\d+\s?(?:usd|dollars|k)|(?:extra\s+)?(?:money"
        r"|cash|income))|work(?:ing)? from home|no experience (?:needed|required)"
        r"|part[\s-]?time job|side hustle|passive income|daily pay|paid daily"
    )
)
_EN_BAIT = re.compile(
    _EN.format(
        r"limited (?:seats|spots|offer|time)|click (?:here|the link|below)|free (?:gift|trial"
        r"|course|sample|bonus)|register now|sign up now|act now|100% free"
    )
)
_EN_MIRACLE = re.compile(
    _EN.format(
        r"guarantee[sd]?\s+(?:you\s+)?(?:a\s+)?(?:band|score|pass|result|admission|visa|offer|\d)"
        r"|100% pass|pass guaranteed|money[- ]back guarantee"
    )
)
_EN_SCAM = re.compile(
    _EN.format(r"crypto|bitcoin|forex|investment returns?|guaranteed (?:profit|returns?)|usdt")
)
_EN_PRICE = re.compile(r"\$\s?\d|\d\s?(?:usd|dollars)(?![a-z])")

_ID = r"[a-z0-9][a-z0-9_\-]{4,29}"
_SEP = r"[\s:：+_\-]*"
_HANDLE = re.compile(
    # a named messenger, then an id: "vx：abc123", "微信 wx888999", "Q号 889977665"
    # (letters of a messenger may be split: "v-x", "q.q"; its characters swapped for
    # look-alikes or homophones: 薇信, 溦信, 威芯, 卫星)
    r"(?:(?<![a-z0-9])(?:v[\s.\-_/|]?x|w[\s.\-_/|]?x|wechat|weixin|wei xin|weixin号|q[\s.\-_/|]?q"
    r"|q号|v号|v\s*[信芯]|vx号|wx号|whatsapp|whats app|telegram|viber|kakaotalk|line id)"
    r"|[微薇威维徽溦嶶徾]\s*[信芯x]号?|卫信|wei信|卫星号?|扣扣号?|企鹅号?|球球|绿泡泡)"
    r"\s*(?:号码|号|群|搜索|搜|添加)?"
    + _SEP
    + r"(?P<id>"
    + _ID
    + ")"
    # a loose messenger ("加薇 fit2024", "威 x：hao99", "加微: daikuan_66") needs a digit in its id
    + r"|(?:(?<![更增参附追叠施])加[微vq]|(?:(?<![\u3400-\u9fff])|(?<=[加添我]))[薇威溦嶶]\s*x?)"
    + _SEP
    + r"(?P<id3>(?=[a-z_\-]*\d)"
    + _ID
    + ")"
    # a bare v/q needs a separator or an all-digit id, so English words do not fire
    + r"|(?<![a-z0-9])[vq](?:\s*[:：]\s*|\s+)(?P<id2>"
    + _ID
    + ")"
    + r"|(?<![a-z0-9])[vq](?P<digits>\d{5,12})(?![a-z0-9])"
    # a plus (加) before an id of letters and digits: "➕ zuowen_888"
    + r"|(?<![a-z0-9+])\+\s*(?P<id5>(?=[a-z_\-]*\d)[a-z][a-z0-9_\-]{4,29})"
    # a single messenger character, a colon, an id with a digit: "微：che_bao_66"
    + r"|[微薇威扣企](?:\s*[:：]\s*)(?P<id4>(?=[a-z_\-]*\d)"
    + _ID
    + ")"
)
_PHONE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")
# Numbers meant to be called that are not mobile numbers: 400/800 hotlines, landlines
# with an area code ("0571 8888 6666"), and numbers in international form ("+44 7700 900123").
_HOTLINE = re.compile(
    r"(?<!\d)(?:[48]00\d{7}|0[1-9]\d{1,2}\d{7,8})(?!\d)|(?<![\d+])\+[1-9]\d{8,13}(?!\d)"
)
# A mobile number with some digits masked: "138****6789", "152xxxx8890".
_MASKED_PHONE = re.compile(r"(?<![\d*])1[3-9]\d(?:\d|[*x×#]){4}\d{4}(?!\d)")
_MASK = re.compile(r"[*x×#]")
_DIGIT = re.compile(r"\d")
_LATIN = re.compile(r"[a-z]")
_DIGIT_GAPS = re.compile(r"(?<=[\d*])[\s\-_.·/~]+(?=[\d*])")
# For a phone number only: gaps between digits and masks of any kind ("138-xxxx-5678").
_PHONE_GAPS = re.compile(r"(?<=[\d*x×#])[\s\-_.·/~]+(?=[\d*x×#])")
# Letters and digits spaced apart so that a filter does not see the id ("f i t 6 6 8").
_ALNUM_GAPS = re.compile(r"(?<=[a-z0-9])\s+(?=\d|[a-z](?![a-z]))")
# Single letters and digits strung on symbols ("d.o.g.8.8.9.9", "a-b-c-1-2-3"): four or more.
_SPLIT_ID = re.compile(r"(?<![a-z0-9])[a-z0-9](?:[.\-_·/|,，、]+[a-z0-9](?![a-z0-9])){3,}")
_SPLIT_SEPARATORS = re.compile(r"[.\-_·/|,，、]+")


def _join_split(found: re.Match[str]) -> str:
    return _SPLIT_SEPARATORS.sub("", found.group(0))


_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、）)]+"
    r"|(?<![@\w.])(?:[a-z0-9][a-z0-9\-]*\.)+(?:cn|com|net|org|cc|top|xyz|me|io|ly|im|vip|club|site"
    r"|shop|link|so|gd|info|co|tv)(?:/[^\s，。！？、）)]*)?(?![a-z0-9])"
)
# Symbols spammers put between the letters of a handle ("加v❤信", "➕v"): pluses become "+",
# emoji and decorations disappear (see ``fold_symbols``).
_PLUSES = str.maketrans(
    {
        "\u2795": "+",
        "\u271a": "+",
        "\ufe62": "+",
        "\u2719": "+",
        # emoji that name a messenger: a penguin is QQ, a satellite (卫星) is WeChat
        "\U0001f427": "企鹅",
        "\U0001f6f0": "卫星",
    }
)
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


_CN_NUMERALS = "零〇幺一二三四五六七八九壹贰叁肆伍陆柒捌玖两"
_CN_DIGITS = str.maketrans(_CN_NUMERALS, "001123456789123456789" + "2")
# Seven or more digits, some of them Chinese or capital numerals, possibly spaced: a number
# spelled out ("一三八 零五七一 二六九四", "壹捌陆 贰贰叁叁 肆肆伍伍", "400-八八八-六六六六").
# (masked digits may stand among them: "壹叁捌****伍陆柒捌")
_CN_DIGIT_RUN = re.compile(f"[{_CN_NUMERALS}0-9](?:[\\s\\-_.·]*[{_CN_NUMERALS}0-9*x×#]){{6,}}")
_CN_NUMERAL = re.compile(f"[{_CN_NUMERALS}]")


def _spell_out(found: re.Match[str]) -> str:
    run = found.group(0)
    if _CN_NUMERAL.search(run) is None:
        return run
    return re.sub(r"[\s\-_.·]+", "", run).translate(_CN_DIGITS)


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


def _phone(compact: str, disguised: bool) -> Signal | None:
    """A number meant to be called: mobile (plain, spaced, in Chinese or capital numerals,
    circled or full-width, masked), a hotline or a landline. ``compact``: the text without
    links, numbers spelled out, gaps between digits removed."""
    found = _PHONE.search(compact)
    if found is not None:
        # a number in disguised digits is meant to slip past filters
        return Signal("phone", 10 if disguised else 8, found.group(0))
    found = _MASKED_PHONE.search(compact)
    if found is not None and _MASK.search(found.group(0)) is not None:
        return Signal("phone", 10, found.group(0))
    found = _HOTLINE.search(compact)
    if found is not None:
        return Signal("phone", 8 if disguised else 6, found.group(0))
    return None


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
    if _CN_NUMERAL.search(rest) is not None:
        spelled = _CN_DIGIT_RUN.sub(_spell_out, rest)
        if spelled != rest:
            rest, disguised = spelled, True
    has_digit = _DIGIT.search(rest) is not None
    has_latin = _LATIN.search(text) is not None
    if has_digit or has_latin:
        joined = _SPLIT_ID.sub(_join_split, rest) if has_latin else rest
        compact = _ALNUM_GAPS.sub("", _DIGIT_GAPS.sub("", joined))
        for found in _HANDLE.finditer(compact):
            ident = (
                found.group("id")
                or found.group("id2")
                or found.group("id3")
                or found.group("id4")
                or found.group("id5")
                or found.group("digits")
            )
            if any(c.isdigit() for c in ident) or len(ident) >= 6:
                out.append(Signal("contact", 10, found.group(0).strip()))
                break
        if has_digit and not any(s.code == "contact" for s in out):
            phone = _phone(_PHONE_GAPS.sub("", rest), disguised)
            if phone is not None:
                out.append(phone)
    if is_image:
        qr = _QR_WORDS.search(text)
        if qr is not None:
            out.append(Signal("qr", 10, qr.group(0)))
    patterns = _ALL_PATTERNS if has_latin else _PATTERNS
    for code, pattern, points, needles in patterns:
        if needles.search(text) is None:
            continue  # the pattern cannot match: skip the costlier expression
        hit = pattern.search(text)
        if hit is not None:
            if code == "job_fee" and _JOB_CONTEXT.search(text) is None:
                continue  # a fee without a job offer ("报名费多少") is no job scam
            if pattern is _PRICE_LIST and _MONEY_CUE.search(text) is None:
                continue  # numbers listed without money ("数学 135 语文 120") are no prices
            out.append(Signal(code, points, hit.group(0)))
    return out


# (code, pattern, points, a cheap expression the text must match for the pattern to)
_PATTERNS: tuple[tuple[str, re.Pattern[str], int, re.Pattern[str]], ...] = (
    (
        "price",
        _PRICE,
        3,
        re.compile(r"元|块|rmb|¥|￥|折|一|每|/|只要|仅|价|学费|十|百|千|\d\s*[出转]|便宜|比"),
    ),
    (
        "price",
        _PRICE_MORE,
        3,
        re.compile(
            r"[套盒斤箱件瓶位期条单份袋罐支包台本辆只双张里平㎡时次节价装]\s*\d|[二三四五六七八九]\s*折"
            r"|\d\s*(?:元|块)?\s*起"
        ),
    ),
    ("follower", _FOLLOWER, 7, re.compile("粉|赞|关注|播放|阅读")),
    ("proxy", _PROXY, 7, re.compile("代|起接|帮你|帮您|专业|提供|接")),
    ("miracle", _MIRACLE, 6, re.compile("瘦")),
    ("bait", _BAIT, 5, re.compile("价值|名|日赚|月入|0")),
    ("sidejob", _EARNINGS, 6, re.compile("赚|挣|入|轻松|稳|天|月")),
    ("job_fee", _JOB_FEE, 8, re.compile("押金|保证金|费")),
    ("goods", _FARM, 5, re.compile("自家|工厂|厂家|源头|产地|基地|果园|茶园|农场|牧场|渔场|蜂场")),
    ("scam", _INVEST, 8, re.compile("跟着|跟随|收益|回报|盈利|利润|赚")),
    ("adult", _ADULT, 8, re.compile("寂寞|空虚|单身|同城")),
    (
        "pitch",
        _TROUBLED,
        3,
        re.compile("逾期|负债|征信|还不上|催收|网贷|信用卡|欠款|债务|花呗|借呗"),
    ),
    ("miracle", _REFUND_PROMISE, 6, re.compile("退|不收|不要钱|免费重|才收|再收|才付|再付|后付")),
    ("cta", _SOLICIT, 5, re.compile("需要|想|有意|要|私|价|们|关注|只需|仅需")),
    ("price", _PRICE_LIST, 3, re.compile(r"\d\d[\s，,、；;/]+[\u4e00-\u9fffa-z]")),
    (
        "pitch",
        _VENDOR,
        3,
        re.compile(
            r"本人|本店|本公司|我司|我们?(?:是|为|这边|这里)?(?:专|正规|持证|资深)|年|24|同城上门|当天"
            r"|上门|^[^，。,.!?？！]{2,14}[?？]"
        ),
    ),
    ("bait", _LURE, 5, re.compile("免费|仅限|开业|元|关注|率")),
    ("miracle", _QUICK_RESULT, 6, re.compile("学会|拿证|出师|上手|精通")),
    ("health", _EFFICACY, 6, re.compile("见效|痊愈|根治|去根|断根|除根|就|即|便")),
)
# The same for ads in English, tried only on a text with Latin letters.
_ENGLISH_PATTERNS: tuple[tuple[str, re.Pattern[str], int, re.Pattern[str]], ...] = (
    ("cta", _EN_CTA, 5, re.compile("me|whatsapp|telegram|for ")),
    ("sidejob", _EN_SIDEJOB, 6, re.compile("earn|mak|home|experience|time|hustle|passive|daily")),
    ("bait", _EN_BAIT, 5, re.compile("limited|click|free|now")),
    ("miracle", _EN_MIRACLE, 6, re.compile("guarantee|pass|money")),
    ("scam", _EN_SCAM, 8, re.compile("crypto|bitcoin|forex|invest|usdt")),
    ("price", _EN_PRICE, 3, re.compile(r"\$|usd|dollars")),
)
_ALL_PATTERNS = _PATTERNS + _ENGLISH_PATTERNS


def combine(
    signals: Iterable[Signal], word_hits: dict[str, list[str]], text: str = ""
) -> list[Signal]:
    """Structural signals plus word categories; a category counts once, plus a little per
    further distinct word, so five side-job words weigh more than one but not five times.

    Then the interactions: a price with a call to contact privately is a sale (+4); a call
    to contact adds nothing to a phone number unless something is on offer; a first-person
    story of the past (or of a job found) with no call to contact and no hard evidence is
    not an offer (-6; a wage in it is part of the story); a member warning the others
    against an offer, with no contact to reach, makes none (-8), nor does one reporting
    someone else's offer ("群里有人发刷单兼职", -6); a member passing on or giving away their
    own surplus is no sale (-5). A phrase that calls to contact ("有意向的私") and the call
    words inside it are one call; recruit words (招聘, 包吃住, 底薪) count once however many.
    """
    by_code: dict[str, Signal] = {}
    for signal in signals:
        previous = by_code.get(signal.code)
        if previous is None or signal.points > previous.points:
            by_code[signal.code] = signal
    if "phone" in by_code and "cta" in word_hits:
        # words that only name the phone add nothing to it; and with nothing on offer, any
        # call to contact is about that number ("教练电话 137…，想上课的直接联系他")
        offered = bool(
            OFFERS.intersection(word_hits)
            or OFFERS.intersection(by_code)
            or SOLICITING.intersection(word_hits["cta"])
        )
        calls = [w for w in word_hits["cta"] if w not in PHONE_WORDS and offered]
        word_hits = {k: v for k, v in word_hits.items() if k != "cta"}
        if calls:
            word_hits["cta"] = calls
        elif not offered:
            by_code.pop("cta", None)
    elif "cta" in word_hits and not PHONE_WORDS.isdisjoint(word_hits["cta"]):
        # a phone named without a number calls for nothing ("房贷经理电话是多少")
        calls = [w for w in word_hits["cta"] if w not in PHONE_WORDS]
        word_hits = {k: v for k, v in word_hits.items() if k != "cta"}
        if calls:
            word_hits["cta"] = calls
    if (
        "debt" in word_hits
        and "pitch" not in word_hits
        and OFFERS.isdisjoint(word_hits)
        and OFFERS.isdisjoint(by_code)
    ):
        # several money-trouble words are still one matter ("银行说额度只有80万") until a
        # pitch or an offer makes them a sales argument
        word_hits = {**word_hits, "debt": word_hits["debt"][:1]}
    for code, hits in word_hits.items():
        base = SPAM_WORDS[code][0] if code in SPAM_WORDS else 10
        previous = by_code.get(code)
        distinct = list(dict.fromkeys(hits))
        if previous is not None:
            further = len(distinct)
            if code == "cta" and any(w in previous.evidence for w in distinct):
                further -= 1  # "有意向的私聊": the phrase and its words are one call
            extra = min(further, EXTRA_HIT_CAP) * EXTRA_HIT_POINTS
            by_code[code] = Signal(code, previous.points + extra, previous.evidence)
        else:
            further = 0 if code in _SINGLE_WEIGHT else min(len(distinct) - 1, EXTRA_HIT_CAP)
            by_code[code] = Signal(code, base + further * EXTRA_HIT_POINTS, "、".join(distinct[:3]))
    if "debt" in by_code and not by_code.keys() & _DEBT_PARTNERS:
        # money trouble is what members talk about ("信用贷的利率比房贷高多少"); only with a
        # pitch, a call to contact or something to reach is it a loan ad
        del by_code["debt"]
    if (
        text
        and "contact" in by_code
        and OFFERS.isdisjoint(by_code)
        and not by_code.keys() & {"price", "stock", "pitch", "shop"}
        and SOLICITING.isdisjoint(word_hits.get("cta", ()))
        and _SOLICIT.search(text) is None
    ):
        meetup = _MEETUP.search(text)
        if meetup is not None and _TO_THE_GROUP.search(text) is not None:
            # the call to add them is the meeting's, not a sale's
            by_code.pop("cta", None)
            by_code["meetup"] = Signal("meetup", MEETUP_POINTS, meetup.group(0))
    if "price" in by_code and "cta" in by_code:
        by_code["sale"] = Signal("sale", SALE_POINTS, by_code["price"].evidence)
    elif (
        text
        and "cta" not in by_code
        and not HARD_EVIDENCE.intersection(by_code)
        and OFFERS.intersection(by_code)
    ):
        story = _STORY.search(text)
        if story is not None and _FIRST_PERSON.search(text) is not None:
            by_code["story"] = Signal("story", STORY_POINTS, story.group(0))
    if (
        text
        and ("sale" in by_code or "bait" in by_code)
        and OFFERS.intersection(by_code) <= {"bait"}
        and not HARD_EVIDENCE.intersection(by_code)
    ):
        # a member selling or giving away what they have no use for ("宝宝穿小了，免费送")
        surplus = _SURPLUS.search(text)
        if surplus is not None:
            by_code["surplus"] = Signal("surplus", SURPLUS_POINTS, surplus.group(0))
    if text and OFFERS.intersection(by_code) and not HARD_EVIDENCE.intersection(by_code):
        warning = _WARNING.search(text)
        if warning is not None:
            by_code["warning"] = Signal("warning", WARNING_POINTS, warning.group(0))
        reported = _REPORTED.search(text)
        if reported is not None:
            # someone else's offer told to the group ("群里有人发刷单兼职，管理员踢了没")
            by_code["reported"] = Signal("reported", REPORTED_POINTS, reported.group(0))
    return list(by_code.values())


def total(signals: Iterable[Signal]) -> int:
    return sum(s.points for s in signals)


def has_hard_evidence(signals: Iterable[Signal]) -> bool:
    return any(s.code in HARD_EVIDENCE for s in signals)
