"""Everyday Chinese for the FAQ lexicon: the words members of any group use for one thing.

bot/text/lexicon.py covers the words of running a community (fees, refunds, sign-up,
replays...). Members of a class, a club, a shop or a service also ask about documents, the
way there, parking, what to bring, illness, a child's age, cards, deliveries, repairs and
logins, each in several everyday words that an FAQ entry says in only one of. These tables
make them meet. They are merged into lexicon.py's tables and follow its rules:

- ``EVERYDAY_WORDS`` (merged into ``NEAR_WORDS``): words the tokenizer already cuts whole;
  they are mapped to a canonical term but never added to the tokenizer's dictionary (which
  the topic classifier shares), so a word cut apart simply never matches.
- ``EVERYDAY_PHRASES`` (merged into ``FAMILIES``): colloquial phrases the tokenizer would
  cut apart ("带什么", "来例假"); they are added to its dictionary so they are cut whole.
- ``EVERYDAY_SPLITS`` (merged into ``SPLITS``): compounds that mean two things.

A family holds words a member uses for the same ask in any community. Things that look alike
but get other answers stay apart: parking is not the way there, an illness is not an
injury, a photo is not taking one, a shipment is not a repair. A single character is mapped
only where it means the same thing in ordinary chat.
"""

from __future__ import annotations

# fmt: off
EVERYDAY_WORDS: dict[str, tuple[str, ...]] = {
    # Documents and certificates.
    "证书": ("证", "资格证", "资格证书", "合格证", "毕业证", "证书编号"),
    "证件": ("证件", "身份证", "护照", "学生证", "户口本", "驾照", "驾驶证", "身份证件"),
    "考试": ("考试", "考核", "测试", "测验", "测评", "考级", "考查", "考评", "笔试", "期末考试"),
    # Getting there.
    "停车": ("停车", "停车位", "车位", "停车场", "车库", "泊车", "地库"),
    "开车": ("开车", "自驾", "驾车", "自驾车"),
    "公共交通": ("公共交通", "地铁", "公交", "公交车", "坐地铁", "地铁站", "公交站", "地铁口", "轻轨", "巴士"),
    "打车": ("打车", "滴滴", "出租车", "的士"),
    # Places inside a venue.
    "前台": ("前台", "服务台", "接待处", "收银台", "咨询台"),
    "门店": ("门店", "店铺", "分店", "实体店", "店面"),
    "场馆": ("场馆", "球馆", "体育馆"),
    "教室": ("教室", "课室", "练功房", "排练厅"),
    "卫生间": ("卫生间", "厕所", "洗手间", "厕"),
    "洗澡": ("洗澡", "淋浴", "冲澡", "洗浴", "浴室", "淋浴间", "沐浴"),
    "更衣室": ("更衣室", "更衣间", "换衣间", "换衣服"),
    "储物": ("衣柜", "寄存处"),
    "空调": ("空调", "冷气", "暖气"),
    "温度": ("温度", "恒温", "室温", "气温", "水温", "冷不冷", "冷", "热"),
    "无线网": ("无线网", "wifi", "无线网络"),
    "充电": ("充电", "插座", "插头"),
    "饮水": ("饮水", "喝水", "饮用水", "饮水机", "开水"),
    # What to bring (准备 is lexicon.py's family).
    "准备": ("携带", "自带", "自备", "备齐", "带齐"),
    # Lost and found.
    "丢失": ("失物招领", "失物", "遗落"),
    # Weather (lexicon.py's near word).
    "天气": ("刮风", "降温", "预警", "雷雨", "打雷", "雨雪", "下雨天", "雨", "气象"),
    # Health: an illness, a period, a pregnancy (an injury is lexicon.py's 受伤).
    "生病": ("生病", "发烧", "感冒", "咳嗽", "病假", "住院", "拉肚子", "发热", "头疼", "头痛", "病"),
    "生理期": ("生理期", "例假", "月经", "经期", "大姨妈"),
    "怀孕": ("怀孕", "孕妇", "孕期", "准妈妈", "有孕"),
    "产后": ("产后", "哺乳期", "坐月子", "月子"),
    "过敏": ("过敏", "过敏源"),
    "保险": ("保险", "意外险", "投保", "保险费"),
    # Age.
    "年龄": (
        "年龄", "年纪", "几岁", "岁数", "年龄段", "周岁", "岁", "一岁", "两岁", "三岁", "四岁",
        "五岁", "六岁", "七岁", "八岁", "九岁", "十岁",
    ),
    # Family and companions (朋友 is lexicon.py's near word: a guest who comes along).
    "朋友": ("家属", "亲戚", "老公", "老婆", "爱人", "男朋友", "女朋友", "室友", "伴侣", "另一半"),
    "家长": ("家长", "父母", "爸妈", "爸爸妈妈", "监护人"),
    "陪同": ("陪同", "陪", "陪读", "旁听"),
    "孩子": ("宝宝", "儿子", "女儿", "闺女", "幼儿", "少儿", "孩儿", "小孩儿"),
    # Food.
    "用餐": ("用餐", "吃饭", "就餐", "午饭", "午餐", "晚饭", "晚餐", "早饭", "早餐", "盒饭", "工作餐", "供餐", "餐食"),
    "饮品": ("饮品", "饮料", "茶水", "零食", "点心"),
    # Taking photos and videos (照片 is lexicon.py's family: the pictures themselves).
    "拍摄": ("拍摄", "拍照", "照相", "摄像", "合影", "合照"),
    # Class materials (资料 is lexicon.py's family).
    "资料": ("教材", "课本", "教辅", "练习册", "讲稿"),
    # Moving one's own lesson to another time or class.
    "调课": ("调班", "换班"),
    # A class trial.
    "体验": ("体验", "试听", "试练"),
    # Coming late.
    "迟到": ("迟到", "早退"),
    # Delivery (发货 is lexicon.py's near word).
    "发货": ("快递", "物流", "收货", "签收", "运单", "快递费"),
    # After-sales: repair and warranty (a breakage itself is 损坏, a return is 退换).
    "维修": ("维修", "修理", "保修", "报修", "返修", "售后", "质保", "售后服务", "修", "三包"),
    # Software that does not work.
    "打不开": ("打不开", "进不去", "黑屏", "报错", "崩溃", "加载"),
    "绑定": ("绑定", "绑", "关联"),
    "验证码": ("验证码", "校验码"),
    # Ways of paying (支付方式 is lexicon.py's family).
    "支付方式": ("银联", "白条", "分期付款"),
    # Stored value and what is left of it.
    "充值": ("充值", "预存"),
    "剩余": ("剩余", "余额", "剩下", "剩余次数"),
    # Lodging on trips and camps.
    "住宿": ("住宿", "酒店", "宾馆", "民宿", "住处", "过夜", "住宿费"),
    # Holidays: when places close or classes pause.
    "节假日": ("节假日", "假期", "过年", "春节", "国庆", "五一", "放假", "假日", "节日", "元旦", "端午", "中秋"),
    "寒暑假": ("寒暑假", "寒假", "暑假"),
    # Partners to practise with.
    "伙伴": ("伙伴", "搭档", "队友", "同伴", "球友"),
    "难度": ("难度", "好学"),
    "效果": ("效果", "见效", "管用", "成效"),
    "进度": ("进度", "表现"),
    "强度": ("强度", "运动量", "累不累", "训练量"),
    "安全": ("安全", "安全性", "危险", "安全隐患"),
    "清洁": ("清洁", "打扫", "保洁", "清扫", "大扫除", "打扫卫生", "卫生"),
    "消毒": ("消毒", "杀菌"),
    "上门": ("上门", "上门服务"),
    "接送": ("接送",),
    "寄养": ("寄养", "托管", "代养", "寄放", "看护", "照看"),
    "投诉": ("投诉", "举报", "维权"),
    "回复": ("回复", "答复", "回应", "不理"),
    "库存": ("库存", "现货", "缺货", "补货", "售罄", "卖完"),
    "尺寸": ("尺寸", "尺码", "码数", "规格", "型号", "大小"),
    "颜色": ("颜色", "配色", "色"),
    "正品": ("正品", "假货", "真假", "正版", "盗版", "真货"),
    "出售": ("出售", "卖", "卖东西", "转卖", "售卖", "卖掉"),
    "范围": ("范围", "区域", "覆盖范围"),
    "提前": ("提前", "预先", "事先", "提早"),
    "日程": ("日程", "行程", "日程安排", "时间表", "时刻表"),
    "学员": ("学员", "学生"),
    "老师": ("班主任", "主讲", "任课老师"),
    "软件": ("zoom",),
    "联系": ("热线", "打电话"),
    "优惠": ("讲价", "砍价", "议价", "还价"),
    "宠物": ("宠物", "猫咪", "狗狗", "毛孩子"),
    "门票": ("门票", "票", "入场券"),
    "营业": ("开馆", "闭馆", "休息日"),
    "地点": ("几楼", "楼层", "门牌"),
    "路线": ("路线", "导航", "交通", "路线图"),
    "新人": ("从没", "从来没"),
    "请假": ("事假",),
}

EVERYDAY_PHRASES: dict[str, tuple[str, ...]] = {
    "证书": ("结业证明", "考级证书", "结课证书", "毕业证明"),
    "考试": ("结课考", "结业考试", "结课考试", "小测验"),
    "公共交通": ("坐公交", "坐轻轨", "地铁线"),
    "打车": ("叫车", "网约车", "叫个车"),
    "准备": ("带什么", "带啥", "带哪些", "要带", "需要带", "带好"),
    "丢失": ("捡到", "丢东西", "落在", "忘拿", "东西丢了"),
    "天气": ("下大雨", "雾霾"),
    "生病": ("病了", "身体不适", "身体不好"),
    "生理期": ("来例假", "姨妈期", "来月经", "来大姨妈"),
    "怀孕": ("孕妈", "怀孕了"),
    "年龄": ("多大年纪", "多大了", "多大岁数", "多大可以", "多大能", "多大才能", "岁以上", "岁以下"),
    "朋友": ("闺蜜",),
    "家长": ("宝爸", "宝妈"),
    "陪同": ("陪着", "陪课"),
    "用餐": ("管饭", "包餐", "包吃"),
    "饮品": ("喝的", "茶歇"),
    "洗澡": ("冲个澡",),
    "住宿": ("包住", "住哪"),
    "营业": ("开不开门", "几点开门", "几点关门", "闭店"),
    "充值": ("充卡", "储值", "充钱"),
    "剩余": ("剩几次", "剩几节", "还剩"),
    "储物": ("存包",),
    "拍摄": ("拍视频", "录视频"),
    "调课": ("调课", "换课", "转班", "改课"),
    "体验": ("试课", "试听课", "试学", "试上"),
    "迟到": ("晚到", "来晚", "晚来"),
    "发货": ("发快递", "寄快递", "快递单号", "物流单号", "单号"),
    "打不开": ("闪退", "卡顿", "白屏"),
    "绑定": ("解绑", "换绑"),
    "支付方式": ("付款码", "收款码", "云闪付", "微信付款"),
    "伙伴": ("搭子", "语伴"),
    "难度": ("难不难",),
    "进度": ("学习情况",),
    "消毒": ("消杀",),
    "接送": ("接人", "接孩子", "送孩子"),
    "投诉": ("差评",),
    "回复": ("回消息", "不理人", "没人理"),
    "库存": ("有货", "断货", "没货"),
    "颜色": ("色号",),
    "出售": ("出闲置",),
    "软件": ("腾讯会议", "钉钉", "企业微信", "小鹅通"),
    "地点": ("哪层",),
    "新人": ("没学过", "没练过", "没接触过", "没经验", "没有经验", "没有基础"),
    "请假": ("来不了", "去不了", "上不了", "参加不了"),
}

# Single characters above that mean their family's word wherever they stand alone.
EVERYDAY_STRONG_SINGLES: frozenset[str] = frozenset("岁证票病雨厕陪修")

EVERYDAY_SPLITS: dict[str, tuple[str, ...]] = {
    # Membership cards: any card meets any other as a card, its kind keeps it apart.
    "会员卡": ("会员", "会员卡"),
    "年卡": ("会员卡", "年卡"),
    "半年卡": ("会员卡", "半年卡"),
    "季卡": ("会员卡", "季卡"),
    "月卡": ("会员卡", "月卡"),
    "次卡": ("会员卡", "次卡"),
    "周卡": ("会员卡", "周卡"),
    "储值卡": ("会员卡", "充值"),
    "课卡": ("会员卡", "课程"),
    "办卡": ("操作", "会员卡"),
    # A fee of something: its thing and its fee.
    "运费": ("发货", "费用"),
    "邮费": ("发货", "费用"),
    "包邮": ("发货", "费用"),
    "体验卡": ("会员卡", "体验"),
    "外教": ("外国人", "老师"),
    "票价": ("门票", "费用"),
    "停哪": ("停车", "地点"),
    "停哪里": ("停车", "地点"),
    "停哪儿": ("停车", "地点"),
    "病假条": ("生病", "请假"),
    "孩子多大": ("孩子", "年龄"),
    "小孩多大": ("孩子", "年龄"),
    "宝宝多大": ("孩子", "年龄"),
    "外教课": ("外国人", "老师", "课程"),
}
# fmt: on
