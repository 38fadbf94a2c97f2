"""Lexicon data for the topic classifier: everyday off-topic domains, group glue, group matters.

Nothing here is about one community. A domain is a field of everyday chit-chat (food,
stocks, games...) that is off-topic for most groups; a group whose theme belongs to a
domain (a fitness group and "减肥", a photography group and "相机") switches that domain
off automatically (see ``bot/text/classify.py``).

Rules of the data:
- ``strong`` words say on their own what a message is about (1 point); ``weak`` words
  only together with another hit (half a point). Words are matched as substrings of the
  normalised text (NFKC, lower case), so avoid words that occur inside common unrelated
  words (single characters, "比赛" which is also a writing contest...).
- ``patterns`` are regular expressions (1 point) for phrasings a word list cannot catch.
- a ``feeling`` domain (moods, complaints) counts only where the theme is absent.
- ``near`` names kinds of themes (by words of their keywords, name or description) whose
  activity takes place in the domain: for them its words count half.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Domain:
    name: str  # English, for logs
    strong: str  # whitespace-separated words
    weak: str = ""
    patterns: tuple[str, ...] = ()
    # Words of how a member feels (累, 烦, 无语) rather than what they talk about: they count
    # only in a message with no theme evidence at all ("线团被猫抓乱了，气死" is about yarn).
    feeling: bool = False
    # Words of themes whose activity happens in this field (outdoor sports and the weather):
    # for such a theme the domain is adjacent, and its words weigh half.
    near: str = ""


# Words of themes that happen outdoors or in a garden: the weather and pests are part of
# their talk (see ``Domain.near``).
# (Hobbies, not trades or places: a group selling farm produce says 种植 or 赶海 about its
# goods, and many a housing estate is called …花园.)
OUTDOOR_CUES = """户外 露营 野营 徒步 登山 爬山 越野 滑雪 雪场 骑行 跑步 马拉松 钓鱼 垂钓 野钓
种菜 养花 园艺 阳台 育苗 摄影 风光 观鸟 冲浪 潜水 帆船 飞盘 高尔夫"""

# Words of themes whose activity is somewhere to get to (a mountain, a ski resort, a lake):
# driving, traffic and parking are part of their talk.
AWAY_CUES = """户外 露营 野营 徒步 登山 爬山 越野 滑雪 雪场 钓鱼 垂钓 野钓 风光 观鸟 冲浪 潜水
自驾"""

DOMAINS: tuple[Domain, ...] = (
    Domain(
        "food",
        strong="""
        火锅 烧烤 撸串 串串 烤肉 烤鱼 麻辣烫 麻辣香锅 冒菜 螺蛳粉 小龙虾 酸菜鱼 奶茶 喜茶 蜜雪
        瑞幸 星巴克 外卖 美团外卖 饿了么 夜宵 宵夜 下馆子 探店 美食 好吃 难吃 馋 零食 甜品
        蛋糕店 自助餐 日料 寿司 炸鸡 汉堡 披萨 烤鸭 饺子馆 面馆 餐厅 饭店 菜谱 做饭 下厨
        大闸蟹 榴莲 车厘子 海底捞 肯德基 麦当劳 吃撑 干饭 烤串 卤味 早茶 brunch
        烘焙 烤箱 做蛋糕 面包机 甜点 黄焖鸡 米饭 吃自助 小吃 红烧肉 糖醋排骨 做菜 炒菜 吃货
        喝酒 啤酒 白酒 酒局 聚餐 请客 咖啡店 奶茶店 续命 想吃 馋了 饿了 网红店 煎饼 包子铺
        拿铁 美式 生椰 咖啡馆 手冲 茶颜 霸王茶姬 古茗 柠檬茶 可乐 雪糕 冰淇淋 钟薛高 烧饼 火锅店 烧烤店 串店 饭馆 盒饭 便当 快餐 盖浇饭 炒饭 炒面 拉面 米线
        凉皮 肉夹馍 煲仔饭 酸辣粉 热干面 小笼包 生煎 粽子 月饼 汤圆 年糕 水饺 包饺子 烤红薯 糖葫芦 海鲜 龙虾 螃蟹 牛排 西餐 火锅底料 点外卖 叫外卖 吃播
        吃吃喝喝 好喝 难喝 宵夜摊 水果 蔬菜 生鲜 爱吃 太咸 太淡 饿得
        """,
        weak="""午饭 晚饭 午餐 晚餐 早饭 早餐 吃饭 饭菜 食堂 口味 好辣 太辣 蛋糕 面包 咖啡 饮料 零嘴
        芒果 橙子 香蕉 西瓜 葡萄 樱桃 荔枝 猕猴桃 柚子 橘子 桃子 菠萝 牛油果 牛奶 酸奶""",
        patterns=(
            r"吃(什么|啥|点啥|了什么|了啥)",
            r"(哪家|哪里|哪儿|什么地方)[^，。,.!?？！]{0,8}(好吃|好喝|便宜|实惠)",
            r"(去|一起|约)(吃|喝)(饭|火锅|烧烤|串|奶茶|酒)",
        ),
        # cooking in the open is part of camping and picnics
        near="露营 野营 野餐 篝火 炉具",
    ),
    Domain(
        "shopping",
        strong="""
        双十一 双11 双十二 双12 618大促 年货节 购物车 剁手 淘宝 天猫 京东 唯品会 拼单 包邮
        满减 优惠券 凑单 秒杀 抢购 直播间 李佳琦 种草 拔草 囤货 退货 退款申请 快递 清空购物车
        扫地机器人 扫地机 洗碗机 空气炸锅 衣服 裙子 羽绒服 球鞋 包包 逛街 逛商场 奥特莱斯
        闲鱼 二手平台 得物 电饭煲 吹风机 洗衣机 冰箱 微波炉 加湿器 破壁机 扫拖一体 收纳 网购 退换货 七天无理由 客服不理 色差 买家秀 卖家秀 开箱 到货 发货慢
        省钱 薅羊毛 羊毛党 比价 满减券 大额券 领券 凑满减 乱花钱 买买买
        """,
        weak="打折 折扣 买了 下单 便宜 划算 值得囤 好物 网购 商场 优惠 消费 花钱 太贵 半价",
        patterns=(
            r"买了(什么|啥|个|台|件|双|一堆)",
            r"(618|双十一|双11|双十二|双12)",
            r"(值得|值不值得?)(买|入手|囤)",
            r"(准备|打算|想)(入手|剁手|买)",
            r"还是[^，。,.!?？！]{0,6}(便宜|划算|实惠)",
            r"满[\d一二两三四五六七八九十百千]+减[\d一二两三四五六七八九十百千]+",
        ),
    ),
    Domain(
        "beauty",
        strong="""
        口红 粉底 粉底液 眼影 面膜 香水 护肤品 化妆品 化妆 美甲 美瞳 医美 染发 烫发
        穿搭 美妆 精华液 素颜
        洗发水 护发素 沐浴露 掉头发 脱发 发际线 理发 剪头发 理发店 tony老师 洗面奶 眼霜 卸妆 痘痘 长痘 黑眼圈
        """,
        weak="发型 护肤 皮肤",
    ),
    Domain(
        "finance",
        strong="""
        股票 股市 炒股 a股 港股 美股 大盘 基金 涨停 跌停 韭菜 割肉 抄底 加仓 减仓 仓位 满仓
        空仓 套牢 牛市 熊市 理财 定投 收益率 信用卡 花呗 借呗 网贷 比特币 币圈 加密货币 虚拟币 期货 房贷 车贷 利率
        提前还款 首付 房价 买房 楼市 公积金 存款利息 降息 加息 金价 黄金价格 债券
        茅台 宁德时代 沪深 创业板 科创板 北向资金 跳水 暴涨 暴跌 理财产品 存款 大额存单 炒币
        以太坊 狗狗币 基民 股民 绿油油 收益 亏损
        退休金 养老金 工资条 取钱 取款机 股市行情
        彩票 双色球 大乐透 中奖 刮刮乐 基金经理 etf 可转债 打新 市值 港币 汇率 美元 日元 换汇 存钱 攒钱 月光族 负债 欠款 催收
        """,
        weak="涨了 跌了 亏了 赚了 亏钱 回本 利息 贷款 上车 账单 银行 涨停板",
        patterns=(
            r"(股票|基金|大盘|指数)[^，。,.]{0,4}(绿|红|跌|涨|崩)",
            r"(黄金|金价|油价|房价|汇率)[^，。,.]{0,3}(跌|涨|崩)",
            r"又(绿|跌|崩)了",
            r"(花|省|存|攒|赚|亏|还)了?[\d一二两三四五六七八九十百千万几]+(块|元|万|千|百|k)?",
            # what a cost should be: "电费一个月四百正常吗", "房租占了工资一半，怎么省"
            r"(?<![\d一二两三四五六七八九十百千万几])[\d一二两三四五六七八九十百千万几]+(块|元|k)?"
            r"(正常吗|贵吗|贵不贵|算贵|算多|多吗)",
            r"怎么省(钱)?$|怎么省钱|能省则省",
        ),
    ),
    Domain(
        "games",
        strong="""
        开黑 王者 王者荣耀 和平精英 原神 崩坏 星穹铁道 英雄联盟 lol 五排
        连跪 打游戏 玩游戏 手游 网游 端游 steam switch ps5 塞尔达 黑神话 氪金 出金
        王者段位 蛋仔 金铲铲 游戏本 我的世界 第五人格 光遇 原神启动 新皮肤 皮肤抽 肝活动
        打野 辅助位 队友坑 主机游戏
        马里奥 任天堂 xbox 只狼 艾尔登法环 永劫无间 瓦洛兰特 csgo cs2 dota 魔兽 炉石 游戏机 掌机
        """,
        weak="游戏 封号",
        patterns=(r"(一起|来)(打|玩)(游戏|王者|吃鸡)",),
    ),
    Domain(
        # How a game is played, in any game: video games say it, and so do board games, card
        # games and go (开局, 组队, 副本 of a dungeon crawler, 抽卡 of a deck builder).
        "game_play",
        strong="抽卡 副本 开局 团战 掉分 上分 排位 段位 开服 公会 十连",
        weak="通关 组队",
        near="桌游 棋 牌 剧本杀 狼人杀 跑团 扑克 麻将 密室",
    ),
    Domain(
        "sports",
        strong="""
        球赛 足球 篮球 nba cba 世界杯 欧冠 英超 西甲 中超 国足 绝杀 进球 球队 球星 梅西 c罗
        詹姆斯 库里 奥运会 奥运 亚运 乒乓球 羽毛球 网球 排球 f1 总决赛 季后赛 点球 帽子戏法
        看球 球迷 主场 客场 湖人 勇士 凯尔特人 皇马 巴萨 曼联 利物浦 阿森纳 拜仁 国米 尤文
        曼城 切尔西 热刺 米兰 巴黎圣日耳曼 内马尔 姆巴佩 哈兰德 全红婵 孙颖莎 樊振东 郑钦文 网球赛 乒乓 奥运冠军 金牌 国乒 女排 男篮 女篮 世预赛 亚洲杯 球场
        钓鱼 钓了 钓友 滑板 骑行 飞盘
        """,
        weak="冠军 夺冠 决赛 比分 比赛",
        patterns=(r"(昨天|昨晚|今晚|今天|周末)的?(比赛|球)",),
    ),
    Domain(
        "pets",
        strong="""
        我家狗 我家猫 狗狗 猫咪 小猫 小狗 猫猫 铲屎 遛狗 猫粮 狗粮 猫砂 宠物 拆家 喵星人
        汪星人 撸猫 养猫 养狗 柯基 柴犬 金毛 哈士奇 泰迪 布偶猫 英短 橘猫 猫主子 掉毛 绝育
        驱虫 宠物医院
        仓鼠 兔子 鹦鹉 乌龟 金鱼 鱼缸 龙猫 荷兰猪 柯尔鸭 狗绳 猫爬架 宠物店 萌宠 狗子
        """,
        patterns=(
            r"(?:我家|家里|我的|那只|这只|家的)[^，。,.!?？！]{0,3}(?:狗|猫)",
            r"(?<![热])(?:猫|狗)(?:又|把|咬|抓|拆)",
        ),
    ),
    Domain(
        "celebrity",
        strong="""
        明星 吃瓜 大瓜 这个瓜 那个瓜 八卦 塌房 热搜 爱豆 偶像 绯闻 恋情 官宣 娱乐圈 顶流
        追星 饭圈 出轨 离婚 综艺 选秀 网红 流量明星 狗仔 娱乐新闻
        主播 翻车了 封杀 被封杀 明星八卦 粉丝见面会 签售 黄牛票 私生饭 站姐 打榜 应援 爆料 实锤 塌房了 官宣了
        """,
        weak="瓜 演员",
        patterns=(r"(那个|这个|新的|今天的|大)瓜",),
    ),
    Domain(
        "shows",
        strong="""
        追剧 电视剧 古装剧 偶像剧 韩剧 美剧 日剧 短剧 网剧 剧集 番剧 新番 动漫 看电影 影院
        电影院 票房 上映 首映 豆瓣评分 演唱会 livehouse ktv 唱k 新歌 歌手 专辑 周杰伦 抖音刷
        刷抖音 刷视频 刷剧 看剧 上头 大结局 剧荒 追番 庆余年 甄嬛传 狂飙 繁花 好看的剧 烂尾 小红书
        b站 短视频 直播带货 带货 综艺节目
        奥本海默 流浪地球 哪吒 长津湖 满江红 热辣滚烫 封神 漫威 复仇者 哈利波特 宫崎骏 话剧 音乐剧 相声 脱口秀 德云社 郭德纲 音乐节 看展 展览 博物馆 追综艺
        看综艺 跑男 一口气看完 看哭了 太震撼 影评
        新剧 这部剧 那部剧 这个剧 那个剧 宫斗剧 悬疑剧 家庭剧 国产剧
        """,
        weak="电影 剧情 综艺 主演 男主 女主 更新了 一集",
        patterns=(
            r"(追|看|刷|二刷|补)[^，。,.!?？！]{0,8}(剧|番|综艺)",
            r"(看|刷)[^，。,.!?？！]{0,6}(电影|片子|大片)",
        ),
    ),
    Domain(
        "travel",
        strong="""
        露营 旅游 旅行 景点 自驾 酒店 机票 高铁票 火车票 民宿 出游 度假 签证 出国玩 爬山
        徒步 海边 沙滩 古镇 网红景点 动物园 游乐园 迪士尼 环球影城 滑雪 泡温泉 自由行 跟团
        赏花 看樱花 油菜花 看海 看日出 踏青 春游 秋游 出去玩 玩了几天 三亚 大理 丽江 西藏 九寨沟
        张家界 鼓浪屿 马尔代夫 出国游 游客 人山人海
        护照 签注 港澳通行证 办签证 出境 入境 航班 延误 改签 订酒店 订机票 携程 飞猪 去玩 出去逛 逛公园 游乐场 夜市 赶海 漂流 爬长城 看雪 看花 露营地
        """,
        weak="五一 国庆 十一假期 假期 周末 放假 小长假 路线 攻略 机场 樱花 云南 日本 泰国 玩了",
        near="""户外 露营 野营 徒步 登山 爬山 越野 滑雪 雪场 骑行 钓鱼 垂钓 野钓 摄影 风光 观鸟
        冲浪 潜水""",
        patterns=(
            r"去[\u4e00-\u9fff]{1,4}(玩|旅游|度假)",
            r"去哪(里|儿)?(玩|旅游|旅行|度假|露营|逛|浪)",
            r"(周末|假期|国庆|五一|春节|过年)[^，。,.]{0,6}(去哪|去玩|出去玩|旅游|自驾)",
        ),
    ),
    Domain(
        "parenting",
        strong="""
        幼儿园 小学 初中 中考 高考 家长会 学区 早教 奶粉 尿不湿 辅导作业 兴趣班 补习班 培训班
        带娃 我家娃 宝宝 孩子 二胎 月子 坐月子 产假 育儿 哄睡 辅食 期中考试 期末考试 班主任
        我儿子 我女儿 我闺女 我家孩子 我家小孩 倒数第一 陪写作业 作业好多 作业太多 写作业 小升初 家长群 接孩子 接娃 送娃
        数学作业 语文作业 英语作业 家庭作业 寒假作业 暑假作业 孩子的作业 鸡兔同笼
        家委会 学区房 幼升小 课外班 奥数 暑假班 寒假班 托班 保姆 育儿嫂 月嫂 婴儿车 学步 长牙 断奶 喂奶 夜奶 哄娃 一个人带娃 会叫妈妈 会叫爸爸
        青春期 叛逆期 开家长会 孩子作业 娃作业 孩子开学 娃开学
        """,
        weak="娃 老大 老二 上学 放学 成绩 儿子 女儿 闺女 小孩",
        patterns=(r"考了\d+分",),
    ),
    Domain(
        "fitness",
        strong="""
        减肥 瘦身 节食 减重 体重 健身房 私教 瑜伽 普拉提 卡路里 跑步机 增肌 减脂 马拉松
        减肥餐 轻断食 代餐 体脂 体脂率 马甲线 腹肌 跳绳 帕梅拉 刘畊宏 燃脂
        """,
        weak="胖了 瘦了 长胖 饿死了",
        patterns=(r"(胖|瘦|重)了[\d一二两三四五六七八九十几]*(斤|公斤|kg)",),
    ),
    Domain(
        "medical",
        strong="""
        感冒 发烧 咳嗽 医院 挂号 体检 生病 看病 吃药 打针 疫苗 牙疼 头疼 胃疼 养生 中医 失眠
        过敏 住院 手术 甲流 新冠 阳了 牙医 拔牙 流感 核酸 疫情 退烧
        血压 血糖 高血压 糖尿病 胆固醇 尿酸 痛风 颈椎 腰椎 腰疼 腰痛 肩周炎 近视手术 近视 散光 补牙 洗牙 种牙 正畸 拉肚子 肠胃炎 胃病 鼻炎 支原体 肺炎 输液
        挂水 医保 药店 感冒药 布洛芬 头孢 医生让 急诊 打吊瓶 开刀 肠胃 胃不舒服 肚子疼
        """,
        # the body is what a sport or a dance works with: knees, backs, blood pressure
        near="""广场舞 跳舞 舞蹈 太极 瑜伽 健身 跑步 马拉松 登山 徒步 骑行 游泳 羽毛球 滑雪 八段锦
        普拉提""",
    ),
    Domain(
        "gadgets",
        strong="""
        iphone ipad 苹果手机 华为 小米 荣耀 vivo oppo 安卓 鸿蒙 耳机 平板 笔记本电脑
        游戏本 显卡 电脑配置 数码 充电宝 手表 智能手表 换机 新机 发布会 续航 屏幕 像素
        电动牙刷 剃须刀 路由器 wifi 网速 宽带 充电器 数据线 手机壳 贴膜 碎屏 换电池 显示器 机械键盘 airpods 14pro 15pro 16pro mate60
        mate70 折叠屏 新手机 换手机 手机屏
        """,
        patterns=(
            r"换(?:个|部|台|一部|一台)?(?:新)?(?:手机|电脑|平板)",
            r"新出的(?:手机|电脑|平板|耳机)|(?:手机|电脑|平板)[^，。,.!?？！]{0,3}(?:值得|要不要|该不该)换",
        ),
        weak="配置 内存 电池 手机 信号 蓝屏 死机",
    ),
    Domain(
        "cars",
        strong="""
        买车 提车 新能源车 电动车 特斯拉 比亚迪 理想汽车 蔚来 小鹏 油价 加油站 充电桩 驾照
        驾校 科目二 科目三 堵车 4s店 车险 保养 违章 停车位 油耗 限号 摇号 洗车 su7 问界 开车
        新车 车位 加油站 自驾 路况 高速 胎压 车队 suv 跑长途 服务区
        加满 一箱油 汽油 柴油 车位费 停车费 罚单 扣分 年检 洗车店 轮胎 爆胎 追尾 剐蹭 代驾 网约车 滴滴 打车 出租车 极氪 小米汽车 宝马 奔驰 奥迪 丰田 本田
        车被刮 车被撞 车被蹭 被贴条 被拖车 刮花了
        堵死 堵成 路上堵 高架 限行 绕路 打不到车 打不着车 等公交 公交车 红绿灯 闯红灯
        """,
        patterns=(r"车(?:子)?(?:被|又被)[^，。,.!?？！]{0,3}(?:刮|蹭|撞|贴条|拖|划)",),
        near=AWAY_CUES,
    ),
    Domain(
        "work",
        strong="""
        加班 通勤 打工人 老板 领导 工资 发工资 年终奖 绩效 辞职 离职 跳槽 裁员 面试
        找工作 换工作 社保 996 摸鱼 周报 kpi 年会 offer 画饼 牛马 甲方 不想上班 上班好累 打工
        升职 加薪 降薪 老板娘 请假条 团建 开会
        开了个会 会议室 述职 写周报 出差 年假 病假 面试官 简历 内推 试用期 转正 涨薪 失业 社畜 上司 实习
        扣钱 扣工资 扣绩效 季度报告 写报告 交报告 年终总结 改方案 方案改 绩效考核 值班 调休上班 甩锅
        """,
        weak="公司 单位 工作 上班 下班 领导 周一 同事 年底 总结 报告",
    ),
    Domain(
        "relationships",
        strong="""
        相亲 脱单 对象 男朋友 女朋友 男友 女友 老公 老婆 结婚 婚礼 彩礼 婆婆 丈母娘 恋爱 分手
        前任 表白 约会 结婚纪念日 七夕 情人节
        老伴 儿媳 女婿 孙子 孙女 外孙 不打电话 不回电话 不回消息
        坏话 背后说 催婚 催生 相亲角 婆媳 婆家 娘家 老妈 我妈 我爸 爸妈 亲戚 七大姑 嫁妆 吵架 冷战 渣男 渣女 暗恋 追女生 追男生 闺蜜
        """,
    ),
    Domain(
        "home",
        strong="""
        装修 租房 房东 房租 搬家 物业 物业费 家具 家电 小区 邻居 楼上 水电费 电费 水费 燃气费
        燃气 空调 暖气 涨租 看房 二手房 中介 房子 租的房 楼上装修 漏水 修空调 师傅上门
        隔壁 楼下 水管 马桶 下水道 大扫除 洗衣服 晒被子 家务 拖地
        热水器 冷水澡 洗澡 沙发 忘带钥匙 钥匙 门锁 停暖
        """,
    ),
    Domain(
        "plants",
        strong="""
        养花 多肉 绿萝 发财树 仙人掌 浇水 施肥 烂根 花盆 种菜 阳台种 盆栽 月季 兰花 绣球花
        三角梅 郁金香 茉莉花 栀子花 桂花树 吊兰 君子兰 蝴蝶兰 文竹 龟背竹 琴叶榕 虎皮兰 富贵竹
        长寿花 天竺葵 铁线莲 山茶花 杜鹃花 向日葵 风信子 水仙花 睡莲 芍药 牡丹花 薄荷 花苗
        营养土 花肥 换盆 扦插 育苗 发芽 冒芽 花苞 花骨朵 黄叶 叶子发黄 蔫了 徒长 蚜虫 红蜘蛛
        介壳虫 白粉病 开花了
        """,
        # flowers are what a nature photographer or a painter of flowers takes as a subject
        near="摄影 风光 国画 水彩 写生 插花 花艺",
    ),
    Domain(
        "exams",
        strong="考研 考公 考编 公务员 国考 省考 教资 考证 申论 行测 上岸了",
    ),
    Domain(
        "daily",
        strong="""
        春晚 回老家 年夜饭 春运 抢票 拜年 调休 放假安排 挤地铁 早高峰 晚高峰 买菜 菜价 超市 菜市场
        快递站 取快递 停电 停水 跑腿 快递丢 五一假期 放假了 补班 回家过年 办护照 办证 身份证
        营业厅 话费 流量套餐 外卖小哥
        """,
        # holidays are mostly the context of a message, not its subject
        weak="地铁 公交 涨价 排队 过年 中秋 中秋节 端午 端午节 春节 元旦 元宵节 清明节 国庆节 劳动节 圣诞节 跨年",
        patterns=(
            r"(地铁|公交|高铁|火车|航班|电梯)[^，。,.!?？！]{0,4}(挤|晚点|延误|坏了|停运|故障)",
            r"排了[^，。,.!?？！]{0,6}队",
            r"(过年|春节|中秋|国庆|五一|端午|元旦|圣诞|假期)[^，。,.!?？！]{0,6}"
            r"(回家|回老家|去哪|怎么过|放几天|放假|调休|吃什么|加班|值班)",
        ),
    ),
    Domain(
        "mood",
        strong="""
        好累 累死了 累死 心累 累瘫 好困 困死了 困死 犯困 烦死了 好烦 烦躁 郁闷 心情不好 心情好差
        心情差 心情低落 提不起劲 没精神 堵得慌 好闷 无语 倒霉 真倒霉 崩溃 想哭 emo
        才睡着 睡眠不好 睡眠好差 睡眠差 做噩梦 噩梦 气死了 气死 吵死了 吵死 愁死了 烦心 糟心
        不想上班 不想起床 起不来 周一综合症 没劲 没意思 日子过得 不舒服 不顺 好烦啊 心塞
        气人 头都大了 头大 倒霉透了 写到吐
        """,
        weak="唉 哎 累 烦 困 熬夜 睡不着",
        feeling=True,
    ),
    Domain(
        # Pastimes: apart from errands and holidays, so that a square-dance group keeps the
        # price of pork off-topic.
        "pastimes",
        strong="广场舞 打麻将 麻将 斗地主",
    ),
    Domain(
        # Sun protection: skin care in town, part of the kit outdoors.
        "sun",
        strong="防晒霜 防晒衣 防晒喷雾 涂防晒 晒伤 晒脱皮",
        near=OUTDOOR_CUES,
    ),
    Domain(
        # Household pests: everyday chat at home, part of the job outdoors or in a garden.
        "pests",
        strong="蟑螂 老鼠 蚊子 苍蝇 被蚊子咬 灭蚊 灭鼠",
        near=OUTDOOR_CUES,
    ),
    Domain(
        "weather",
        strong="""
        天气 下雨 暴雨 下雪 降温 台风 雾霾 高温 寒潮 好冷 好热 冻死 热死
        雷雨 打雷 冰雹 大风 刮风 沙尘暴 闷热 潮湿 回南天 梅雨 暴晒 晒黑 零下 结冰 下大雨 下暴雨
        天气预报 气温 秋裤 秋老虎 倒春寒 忘带伞 没带伞 落汤鸡 淋雨 淋湿 换季
        """,
        weak="热得 冷得 冻得 闷得",
        patterns=(
            r"(?:雪|雨)(?:下得|下了|下个)[^，。,.!?？！]{0,3}(?:大|久|猛|天|没完|不停)",
            r"(?:冻|冷|热|晒|闷)得(?:不行|要命|要死|受不了|发抖|睡不着)",
        ),
        near=OUTDOOR_CUES,
    ),
)


# Messages that are group glue: greetings, thanks, acknowledgements, laughter, praise.
# A message made only of these (and FILLERS, punctuation, emoji) is "social".
SOCIAL_WORDS = """
收到 好的 好滴 好嘞 好哒 好呀 好吧 嗯嗯 嗯呢 嗯 哦哦 哦 噢 ok okay 好 行 可以 没问题 明白 了解
知道了 懂了 学到了 学习了 受教了 谢谢 多谢 感谢 谢啦 谢了 谢 thx thanks thank 辛苦 辛苦了 早上好
早安 早 午安 下午好 晚上好 晚安 大家好 你好 您好 哈喽 hello hi 嗨 欢迎 哈 呵 嘿 嘻 笑死 笑哭
加油 棒 真棒 太棒了 厉害 牛 牛啊 666 赞 点赞 同意 对 是的 没错 确实 支持 期待 冲 哇 恭喜 祝贺
生日快乐 新年快乐 节日快乐 快乐 拜拜 再见 回见 安 顶 同问 +1 mark 码住 收藏 在的 来了 到 签到了
感谢分享 谢谢分享 分享 打call 好看 漂亮 优秀 佩服 比心 抱抱 晚安安 早早早
同意楼上 说得对 说的对 说得好 说的好 说得是 说得在理 有道理 在理 赞同 附议 同感 深有同感 我也是
我也觉得 我也这么觉得 我也一样 确实如此 可不是 是啊 对啊 对呀 没毛病 太对了 真是 就是 正解 同上
顶楼上 欢迎加入 欢迎新人 欢迎入群 欢迎进群
无语 啊这 好家伙 绝了 服了
"""
FILLERS = """
呀 啊 啦 了 哦 噢 哈 哇 呢 嘛 的 哒 咯 哟 吖 各位 大家 老师 教练 同学 新同学 新朋友 朋友们 朋友
小伙伴 伙伴们 宝子 宝子们 家人们 亲 们 你 您 你们 群主 助教 都 也 超 太 好 真 非常 特别 一下 一起
我 我们 新人 欢迎欢迎 还 很 超级 啊啊
楼上 楼主 楼下 说得 说的 这么 觉得 是 大佬 大神 老铁 姐妹 家人 这个 这样 嗯嗯嗯 哈哈 必须 +
"""

# The group's own matters: a message about them is never off-topic, whatever the theme.
GROUP_MATTERS = """
打卡 签到 补卡 分享会 积分 会员 群规 群公告 公告 群主 管理员 助教 课程 直播 回放 作业 训练营
续费 退费 等级 勋章 排行榜 入群 精华 截止 课件 群文件 开营 结营 入营 答疑 补交 几点开始
什么时候开始 链接在哪 怎么参加 群规则 活动室 活动场地 集合点 集合地点 场地费 活动费
"""

# Words too generic to say what a theme is about (dropped from theme descriptions/examples).
GENERIC_WORDS = """
一个 一些 一起 主题 社群 社区 群 交流 分享 付费 免费 爱好者 大家 我们 你们 他们 自己 这个 那个
什么 怎么 如何 为什么 可以 需要 时候 今天 昨天 明天 现在 已经 还是 就是 但是 因为 所以 如果
觉得 感觉 知道 真的 还有 没有 不是 这样 那样 这些 那些 方面 问题 东西 事情 大家好 比较 非常
特别 有点 一下 成长 提升 学习 帮助 帮忙 看看 好的 以及 相关 内容 包括 为主 进行 平台 小伙伴
使用 怎么样 技巧 经验 方法 方式 推荐 这张 这篇 一张 一篇 有没有 有人 大家觉得 一点 很多 朋友
周末 每天 每周 每月 每晚 早上 晚上 上午 下午 中午 平时 定期 经常 组织 活动 日常 心得
"""


def words(block: str) -> list[str]:
    return [w.lower() for w in block.split()]


# The 500 most frequent Chinese characters, by the summed word frequencies of jieba's
# dictionary. A theme character among them ("字", "语", "力") says too little on its own to be
# theme evidence (see ``TopicClassifier`` theme characters).
COMMON_CHARS = frozenset(
    "一是人了不在有大中国和为这上他个地年来我会以到时要出的生学说道民家子也成行下们于后就发自之对得主长可过天作分方用多你着部能市等业全里工公经本都而高政法面门动日进"
    "区事代那去心小同北定开产前其军还然起种所如现理机体表力好外与文当两实重新三么只山水关明从化平建又制南内西没此将员名手最东头者月间无安看见各城十相但已些正口通想度"
    "加第她合院物性战由位常点海意场武使次二向治因立数样身情入原问把路被并利石老教万知级量任江及应省资委务元美特期世湖回系比气汉总展电科金先声提品设或义王社很统处四首"
    "共马形己儿司太目基领队直计别女权话少流命至报米给打变果书清活几州华解议更称程今决张导术府才保交放管结师便走达族反再题色五京河接条规式县白它改风光运信受什组听布百"
    "济党指论强做取技黄神选记斯真却职号界件花类何眼兵传带空干农边据集联古广完质阳难增历史专官每住商即步认车台林必死游举线言皇土团收考求德叫近备研争非具李众连调感转笑"
    "革该持始英克士尔让拉思根格造较际亲单朝红型价校约器字段周亚深候则功属积快图火千准究往极育装许参半令吃观鱼精办像帝八复影告远群包整构料随划算象容示投势热值夫网望源"
    "息语股铁断派速怎需片爱律纪支早况病境证编"
)
