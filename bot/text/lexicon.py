"""A general-purpose lexicon for community-operations questions in Chinese.

Intent families map the many ways members say one thing to one canonical term, so that
"退钱", "退费" and "退款" meet in the index. The families are deliberately generic (fees,
times, sign-up, replays, invoices, rules, check-ins, points...): they describe how people
ask about *any* paid community, course, club or interest group, not one FAQ.

Rules of the data:
- ``FAMILIES`` maps a canonical term to its surface forms (the canonical term is always
  one of its own surfaces). Multi-character surfaces are added to the tokenizer so they
  are cut as one word; single characters are mapped only when the tokenizer leaves them
  alone as a token.
- ``SPLITS`` maps a compound to several canonical terms ("年费" is a yearly fee).
- ``STOPWORDS`` carry no topic: particles, pronouns, question and modal words.
- ``INTENT_TERMS`` are canonical terms that say what kind of answer is wanted (a time, a
  place, an amount); they count, but less than topic words.
"""

from __future__ import annotations

from bot.text.lexicon_everyday import (
    EVERYDAY_PHRASES,
    EVERYDAY_SPLITS,
    EVERYDAY_STRONG_SINGLES,
    EVERYDAY_WORDS,
)

# fmt: off
FAMILIES: dict[str, tuple[str, ...]] = {
    "费用": (
        "费用", "钱", "价格", "价钱", "价位", "收费", "花费", "费", "付费", "学费", "报名费", "元",
        "块钱", "块", "价", "怎么卖", "咋卖", "卖多少", "定价", "售价", "贵", "贵不贵", "便宜", "要钱", "免费", "成本", "付款", "支付", "付钱", "交钱", "缴费", "付",
        "交费",
    ),
    "退款": ("退款", "退钱", "退费", "退还", "退回", "返还", "退全款", "退订费", "退款申请"),
    "优惠": ("优惠", "折扣", "打折", "优惠券", "折", "减免", "特价", "便宜点", "团购", "券", "赠送", "送", "返现", "满减"),
    "发票": ("发票", "开票", "开发票", "普通发票", "专票", "电子发票", "收据"),
    "发放": ("发放", "到账", "打款", "结算", "发钱", "入账", "转账", "汇款", "提现"),
    "续费": ("续费", "续", "续期", "续订", "续会", "续约", "再续", "续上"),
    "到期": ("到期", "过期", "期满", "失效", "截止日期", "有效期"),
    "时间": (
        "时间", "几点", "什么时候", "啥时候", "啥时", "何时", "神马时候", "啥子时候", "哪个时候", "几时", "几号", "哪天", "哪一天", "多久", "多长", "什么时间",
        "日期", "几月", "几月份", "多少天", "几天", "周期", "时段", "点钟", "周几", "星期几", "礼拜几",
    ),
    "开始": ("开始", "开营", "开课", "开班", "开播", "开讲", "开启", "启动", "开", "开放"),
    "结束": ("结束", "结营", "结课", "完结", "关闭"),
    "每天": ("每天", "每日", "天天", "日常", "每一天"),
    "每周": ("每周", "每星期", "每个星期", "每礼拜", "每一周"),
    "每月": ("每月", "每个月", "月度", "一个月"),
    "错过": (
        "错过", "没赶上", "赶不上", "没来得及", "漏", "漏掉", "漏了", "忘", "忘了", "忘记", "缺席", "没参加", "没看到", "没看", "没去", "没来",
        "落下",
    ),
    "请假": ("请假", "暂停", "休息一下", "停一下", "停卡", "冻结", "停课", "停"),
    "报名": ("报名", "参加", "参与", "加入", "入群", "进群", "加群", "入会", "报个名", "注册", "入营", "上车", "加"),
    "退出": ("退出", "退群", "离开", "退社群", "退圈", "离群", "退营", "退"),
    # An age, asked (几岁) or told (三岁, 4 岁: the analyser adds it to an amount of years).
    "年龄": ("年龄", "几岁", "岁数", "多少岁", "年纪", "多大年纪", "多大岁数", "岁"),
    "新人": (
        "新人", "新手", "新成员", "萌新", "小白", "刚进群", "刚入群", "刚来", "刚加入", "新同学", "入门", "新来的", "第一次来", "零基础", "没基础", "基础",
        "刚开始", "初学", "初学者", "刚入门", "刚接触", "入坑", "新入坑",
    ),
    "老师": ("老师", "导师", "教练", "讲师", "助教", "嘉宾", "专家", "大咖", "教师"),
    "管理员": ("管理员", "群主", "班长", "客服", "负责人", "运营", "小助手", "工作人员", "管理"),
    "会员": ("会员", "vip", "会籍", "成员资格", "付费会员"),
    "一对一": ("一对一", "1对1", "单独", "私教", "一对一辅导", "1v1", "私聊辅导"),
    "辅导": ("辅导", "指导", "带教", "答疑", "陪跑", "解答"),
    "联系": ("联系", "私信", "私聊", "咨询", "联络", "找谁", "问谁", "对接"),
    "预约": ("预约", "约", "预定", "预订", "订", "约时间", "排期"),
    "分享": ("分享", "分享会", "讲座", "直播", "公开课", "沙龙分享", "主题分享", "微课", "讲课"),
    "回放": ("回放", "录播", "重播", "录像", "回看", "视频回看", "录屏", "重看", "复盘视频"),
    "聚会": ("聚会", "沙龙", "见面会", "面基", "线下聚会", "聚餐", "见面", "线下活动"),
    "活动": ("活动", "比赛", "挑战", "赛事", "挑战赛"),
    "课程": ("课程", "课", "课堂", "网课", "训练营", "营", "班", "课表", "课时", "教学"),
    "资料": ("资料", "课件", "讲义", "ppt", "文档", "笔记", "材料", "电子书", "学习资料", "文字稿"),
    "作业": ("作业", "练习", "任务", "功课", "作业题"),
    "作品": ("作品", "文章", "稿子", "稿件", "稿", "作文", "文稿", "帖子"),
    "投稿": ("投稿", "投", "投递", "发稿", "供稿", "约稿"),
    "点评": ("点评", "评价", "批改", "改稿", "修改意见", "反馈", "评论", "指点", "看稿", "点拨"),
    "互相": ("互相", "相互", "互", "彼此"),
    "选题": ("选题", "题目", "话题", "写什么", "写啥", "写点什么", "主题"),
    "灵感": ("灵感", "思路", "点子", "创意", "想法"),
    "推荐": ("推荐", "推荐一下", "安利"),
    "推广": ("推广", "广告", "宣传", "打广告", "引流", "推销", "发广告", "拉人"),
    "公众号": ("公众号", "公号", "订阅号", "服务号"),
    "链接": ("链接", "网址", "入口", "二维码", "网页", "小程序"),
    "公告": ("公告", "群公告", "通知", "置顶", "群通知"),
    "邮箱": ("邮箱", "邮件", "email", "mail", "电子邮箱"),
    "下载": ("下载", "保存", "导出"),
    "精华": ("精华", "精选", "合集", "汇总", "整理"),
    "打卡": ("打卡", "签到", "打个卡", "签个到", "报到", "打咔"),
    "补卡": ("补卡", "补签", "补打卡", "补打", "补签到", "补", "补课", "补上", "补回来"),
    "积分": ("积分", "分数", "分", "点数", "积分值", "积点"),
    "兑换": ("兑换", "换", "兑", "换取", "抵扣", "抵用", "兑奖"),
    "等级": ("等级", "升级", "级别", "段位", "晋级", "升等级", "级", "升"),
    "勋章": ("勋章", "徽章", "奖章", "称号", "头衔"),
    "获得": ("获得", "拿到", "拿", "得到", "领取", "获取", "领", "赢得", "获得方式"),
    "奖励": ("奖励", "奖品", "礼品", "周边", "奖", "福利", "红包"),
    "用途": ("用途", "用处", "作用", "用", "使用", "好处", "有用"),
    "字数": ("字数", "多少字", "几个字", "几字", "字"),
    "日更": ("日更", "每日更新", "天天更"),
    "连续": ("连续", "坚持", "持续", "不间断"),
    "规则": ("规则", "规矩", "规定", "守则", "须知", "群规", "规章", "制度", "流程", "规范"),
    "违规": ("违规", "违反", "踢", "踢出", "封禁", "禁言", "警告"),
    "版权": ("版权", "著作权", "所有权", "归属", "知识产权", "版权归属"),
    "转载": ("转载", "转发", "搬运", "引用"),
    "申请": ("申请", "申领", "提交申请", "申报"),
    "操作": ("操作", "弄", "办", "办理", "处理", "搞", "流程操作"),
    "查看": ("查看", "看", "查", "查询", "找到", "浏览", "看看"),
    "发送": ("发送", "发", "发布", "发出", "发到", "提交", "上传"),
    "线下": ("线下", "面对面", "现场", "实地"),
    "线上": ("线上", "网上", "在线", "远程"),
    "账号": ("账号", "账户", "帐号", "登录", "登陆", "密码", "收款账户"),
    "地点": ("地点", "哪里", "在哪", "在哪里", "哪儿", "何处", "什么地方", "啥地方", "地址", "位置", "哪"),
    "数量": ("数量", "多少", "几个", "几", "多少个", "几位", "几次", "多少次"),
    "人数": ("人数", "多少人", "几个人", "几人"),
    "计算": ("计算", "算", "统计", "核算", "计"),
    "要求": ("要求", "标准", "条件", "门槛", "注意", "注意事项", "需要注意", "讲究", "禁忌"),
    "下一期": ("下一期", "下期", "新一期", "新的一期", "下一轮", "下一批", "下一届", "下一班", "下一次"),
    "器材": ("器材", "装备", "设备", "工具", "用品", "器械", "道具", "物品"),
    "受伤": ("受伤", "伤", "旧伤", "有伤", "伤病", "损伤", "受过伤", "疼", "痛", "疼痛", "不舒服"),
    # Generic colloquial families of community life (buying, saving up, photos, files...).
    "购买": ("购买", "买", "入手", "下单", "购入", "采购", "买点"),
    "累计": ("累计", "累积", "攒", "积攒", "攒下", "存下", "累加"),
    # Preparing, bringing or buying one's own (also read from 自己带, 自己买, 自己准备 by the
    # analyser): what to bring is asked all these ways.
    "准备": ("准备", "备好", "预备", "提前准备", "带上", "自购", "自行准备", "自行购买", "自行携带"),
    "适合": ("适合", "合适", "适用", "跟得上", "跟不上", "适不适合", "能跟上"),
    "证书": ("证书", "结业证书", "结营证书", "证明", "奖状", "毕业证书", "结业证", "证"),
    "排名": ("排名", "排行", "排行榜", "榜单", "名次", "榜", "排位"),
    "群文件": ("群文件", "网盘", "云盘", "群相册", "文件夹", "共享文件"),
    "照片": ("照片", "图片", "相片", "截图", "晒图", "配图", "图"),
    "提问": ("提问", "问问题", "有疑问", "疑问", "困惑", "遇到问题", "有问题"),
    "音频": ("音频", "录音", "语音", "音频文件"),
    "时长": ("时长", "多长时间", "多久一次", "持续多久"),
    "昵称": ("昵称", "群昵称", "备注", "群名片", "改名"),
    "名额": ("名额", "限额", "人数限制", "满员", "席位"),
    "分组": ("分组", "小组", "分班", "组队", "队伍"),
    "饮食": ("饮食", "伙食", "膳食", "三餐", "饮食习惯"),
    "截止": ("截止", "截至", "最晚", "deadline", "ddl", "报名截止"),
    # Money the member receives, never a fee the member pays: "稿费多少" is not "会费多少".
    "收入": (
        "收入", "稿酬", "工资", "薪资", "薪水", "薪酬", "月薪", "时薪", "报酬", "酬劳", "课酬", "提成", "佣金", "分成", "返利", "返佣",
        "收益", "奖金", "赚", "赚钱", "挣", "挣钱", "能赚", "变现",
    ),
    "取消": ("取消", "撤销", "撤回", "退订", "作废", "取消预约", "取消报名"),
    "修改": ("修改", "更改", "改", "改成", "改为", "更正", "变更", "改一下", "改掉"),
    "转让": ("转让", "转给", "转卡", "过户", "转赠", "转手", "转出去"),
    "丢失": ("丢失", "丢", "丢了", "弄丢", "遗失", "丢掉", "搞丢"),
    "损坏": ("损坏", "弄坏", "摔坏", "磕坏", "碰坏", "坏了", "摔", "磕", "进水", "故障", "划痕", "坏"),
    "赔偿": ("赔偿", "赔", "赔钱", "索赔", "赔付", "赔多少"),
    "押金": ("押金", "保证金", "定金", "订金"),
    "集合": ("集合", "碰头", "会合", "汇合", "集结", "集合点"),
    "结果": ("结果", "成绩", "名单", "获奖名单", "出结果", "出成绩", "公布结果", "分数线"),
    "支付方式": ("支付方式", "支付宝", "微信支付", "信用卡", "花呗", "分期", "刷卡", "现金", "银行卡", "对公转账"),
}

# Everyday near-synonyms of community life, for words the tokenizer already cuts whole: they
# map a token to a family (an existing one, or a new canonical word) but are never added to
# the tokenizer's dictionary (which the topic classifier shares), so a surface the tokenizer
# splits simply never matches here. General Chinese, not any one community's sentences.
NEAR_WORDS: dict[str, tuple[str, ...]] = {
    "课程": ("班里",),
    "费用": ("收钱", "花钱", "要价", "报价", "价目", "价目表"),
    "储物": ("储物", "储物柜", "柜子", "更衣柜", "衣柜", "更衣箱", "储物箱", "寄存柜", "寄存", "存放", "置物柜", "储物间"),
    "书单": ("书单", "书目", "阅读书目", "推荐书目"),
    "捐赠": ("捐赠", "捐", "捐献", "捐出", "义卖"),
    "送货": ("送货", "送货上门", "配送", "送上门"),
    "天气": ("天气", "下雨", "台风", "暴雨", "下雪", "雨天", "恶劣天气", "高温", "大风"),
    "延期": ("延期", "改期", "推迟", "顺延", "延后", "延迟"),
    "背景": ("背景", "资质", "资历", "学历", "履历", "简介"),
    "评选": ("评选", "评委", "投票", "打分", "评比", "评审", "评奖"),
    "要求": ("格式",),
    "软件": ("软件", "app", "客户端"),
    "邀请": ("邀请", "拉朋友", "邀约"),
    "提醒": ("提醒", "消息", "刷屏", "静音"),
    "联系": ("电话", "手机号", "联系电话", "微信号"),
    "地点": ("场地", "门牌号", "地儿", "几楼", "几层", "哪层", "哪一层", "哪栋", "哪一栋"),
    "时间": ("多会儿", "啥时间"),
    "群": ("群聊", "社群", "群组"),
    "朋友": ("朋友", "同事", "家人", "好友", "亲友", "同学们"),
    "器材": ("电脑", "平板", "笔记本电脑", "ipad", "台式机"),
    # Opening and closing a place's doors: its opening hours, not an event's start or end.
    "营业": ("营业", "营业时间", "打烊", "开店", "关店", "开门", "关门"),
    # A child, however a parent says it.
    "孩子": ("孩子", "小孩", "小孩子", "小朋友", "儿童", "娃", "孩子们"),
    "外国人": ("外国人", "老外", "外籍", "外籍人士", "外国友人", "国际友人"),
    "洗澡": ("洗澡", "冲澡", "冲凉"),
    "生理期": ("生理期", "例假", "经期", "月经", "大姨妈", "来例假"),
    "退换": ("退换", "退换货", "退货", "换货", "调换"),
    "发货": ("发货", "到货", "寄出", "邮寄"),
}

# Compounds that mean two things at once: canonical terms, in order.
SPLITS: dict[str, tuple[str, ...]] = {
    "多少钱": ("费用", "数量"),  # an amount of money: "会费多少" asks the same
    "几块钱": ("费用", "数量"),
    "多钱": ("费用", "数量"),
    "年费": ("年", "费用"),
    "月费": ("每月", "费用"),
    "会员费": ("会员", "费用"),
    "会费": ("会员", "费用"),
    "稿费": ("作品", "收入"),
    "课时费": ("课程", "费用"),
    "互评": ("互相", "点评"),
    "交作业": ("作业", "发送"),  # handing in homework is still about the homework
    "互改": ("互相", "点评"),
    "续费链接": ("续费", "链接"),
    "打卡规则": ("打卡", "规则"),
    "入群费": ("报名", "费用"),
    "入会": ("报名", "会员"),  # joining is becoming a member: 入会多少钱 asks the membership fee
    "进群费": ("报名", "费用"),
    "退费申请": ("退款", "申请"),
    "会员等级": ("会员", "等级"),
    "线上课": ("线上", "课程"),
    "线下课": ("线下", "课程"),
}

# Words that say nothing about the topic of a question.
STOPWORDS: frozenset[str] = frozenset(
    """
    的 了 吗 呢 啊 呀 吧 么 嘛 哦 噢 哈 呗 啦 咯 哇 嗯 喔 耶 诶 欸 哎 唉 额 呃
    是 有 在 和 与 及 或 跟 同 把 被 给 让 对 向 从 到 于 为 以 由 将 就 都 也 还 又 再 才 只 很 太 更 最 挺
    着 过 地 得
    我 你 他 她 它 我们 你们 他们 咱 咱们 大家 各位 自己 人家 您 本人 俺 我家 我们家 咱家
    这 那 这个 那个 这些 那些 这样 那样 这种 那种 这里 那里 这边 那边 此
    要 想 能 会 可 可以 可不可以 能不能 能否 可否 是否 行 行不行 好不好 得 该 应该 需要 需 必须 得要
    怎么 怎样 如何 咋 咋样 怎么样 怎么办 怎样才能 怎么才能 如何才能 才能 怎 怎么弄 怎么搞
    什么 啥 哪些 哪个 哪种 什么样 谁 为什么 为啥 干嘛 干啥
    有没有 有无 是不是 会不会 要不要 有么 没有 没 不 别 无 未 不能 不想 不会 不要 不用 不了 不行 不到 没法 能带
    请问 请 问 问下 问一下 想问 想问下 想问一下 麻烦 打扰 一下 下 一个 个 些 点 一点 一些
    请教 求 求问 求助 知道 不知道 想知道 了解 想了解 告诉 说 说说 讲讲 谢谢 感谢 多谢
    吗? 呢? 么? 上 里 中 内 外 前 后 时 等 等等 之 其 所 而 但 但是 然后 所以 因为 如果 的话 还是
    可能 一般 现在 目前 已经 刚刚 刚 比较 真的 到底 究竟 具体 一直 大概 大约 左右 其他 其它 还有
    啥子 咋个 神马 咋整 咋弄 咋搞 咋办 怎么整 咋回事 怎么回事 是怎么回事 好 好的 比较好 帮 帮忙 帮我 东西 地方 时候 事 事情 情况 方面 方式 办法 方法 一样 一起 做 做什么 来 去 用什么
    """.split()  # noqa: SIM905
)

# Canonical terms that say what kind of answer is wanted rather than what it is about.
# Canonical verbs of events: they help, but less than the thing the question is about.
EVENT_TERMS: frozenset[str] = frozenset({"开始", "结束"})

# Topic words so general that, next to a more specific one, they only qualify it: "打卡的规则"
# asks how check-in works, not for the group rules. They still count as a topic on their own.
GENERIC_TERMS: frozenset[str] = frozenset({"规则", "要求"})

# Words that place the message in time ("昨晚的分享没赶上"): context, not the topic.
DEICTIC_TERMS: frozenset[str] = frozenset(
    """
    今天 明天 昨天 前天 后天 今晚 昨晚 明晚 今早 昨早 刚才 刚刚 最近 近期 这几天 这两天
    这周 本周 上周 下周 这个月 本月 上个月 下个月 今年 去年 明年 早上 上午 中午 下午 晚上
    那天 当天 第二天 之前 以后 之后 过去 过来
    """.split()  # noqa: SIM905
)

INTENT_TERMS: frozenset[str] = frozenset(
    {"时间", "地点", "数量", "操作", "查看", "获得", "用途", "发送"}
)

# Facets: what a question asks *about* an item that changes the answer (its price, refund,
# the member's earnings, replay, invoice, expiry, cancellation, change, transfer, loss,
# damage, compensation, deposit, way of paying, discount, download, leave, make-up...). A
# facet named by the clause that asks must appear in the entry that answers it.
FACET_TERMS: frozenset[str] = frozenset(
    {
        "费用", "退款", "收入", "回放", "发票", "到期", "续费", "取消", "修改", "转让", "丢失", "损坏", "赔偿",
        "押金", "支付方式", "优惠", "下载", "请假", "补卡", "兑换", "发放", "获得",
    }
)

# Operations asked about (申请退款, 购买课程): never what a fee or a refund belongs to.
OPERATION_TERMS: frozenset[str] = frozenset({"申请", "购买", "操作", "办理", "报名"})

# Single characters that mean their family's word in ordinary chat; any other single-character
# surface (加 add, 分 minute, 换 change, 开 open, 发 send...) is only a weak hint: it never
# anchors a match or names a facet.
STRONG_SINGLES: frozenset[str] = frozenset("钱费价贵课稿券续退补投忘踢攒疼痛伤奖买赚挣丢赔改捐证")

# Polite openings and addressing that precede a question: stripped before matching.
POLITE_PREFIXES: tuple[str, ...] = (
    "请问一下", "请问下", "请问", "想问一下", "想问下", "想问问", "想问", "问一下", "问下", "麻烦问一下", "麻烦问下", "麻烦问问", "麻烦请问",
    "麻烦", "打扰一下", "打扰了", "打扰", "弱弱地问", "弱弱的问", "弱弱问一下", "弱弱问", "冒昧问一下", "冒昧问下", "冒昧", "请教一下", "请教下",
    "请教", "求问", "求助", "咨询一下", "咨询下", "大家好", "各位好", "各位老师好", "老师好", "你好", "您好", "hello", "hi", "哈喽",
    "嗨", "在吗", "有人吗", "各位", "大家", "小助手", "助手", "亲", "亲们", "宝子们", "宝宝们", "那个", "就是", "嗯", "额", "呃",
    "哦", "对了", "另外", "还有", "我想问", "我想问一下", "有个问题", "有个问题想问", "问个问题", "问个事", "问一个问题",
)
# fmt: on

# Everyday words of any group (bot/text/lexicon_everyday.py), after the community ones. Their
# phrases are cut whole like a family's words; a phrase of a new everyday term is a one-part
# compound, so that FAMILIES keeps naming only community-operations words (the backlog
# logs a question that uses one: "有人中午一起吃饭吗" is not one).
for _canon, _surfaces in EVERYDAY_WORDS.items():
    NEAR_WORDS[_canon] = (*NEAR_WORDS.get(_canon, (_canon,)), *_surfaces)
for _canon, _surfaces in EVERYDAY_PHRASES.items():
    if _canon in FAMILIES:
        FAMILIES[_canon] = (*FAMILIES[_canon], *_surfaces)
    else:
        SPLITS.update({_s: (_canon,) for _s in _surfaces})
SPLITS.update(EVERYDAY_SPLITS)
STRONG_SINGLES = STRONG_SINGLES | EVERYDAY_STRONG_SINGLES
