"""Config and helpers for the nudge and spam tests."""

from __future__ import annotations

from bot.config import AppConfig
from tests.support import config_from

MODERATION_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  theme:
    name: 写作成长营
    description: 以日更写作、作品互评和投稿变现为主题的写作社群
    keywords: [写作, 日更, 文章, 稿子, 投稿, 选题, 标题, 大纲, 互评, 点评, 素材, 灵感]
  nudge:
    window_messages: 8
    window_minutes: 15
    min_off: 4
    off_ratio: 0.6
    min_senders: 2
    cooldown_minutes: 60
    phrasings: ["提醒A：回到「{theme}」～", "提醒B：聊聊「{theme}」吧"]
    hooks: [theme]
    spam:
      whitelist_domains: [mp.weixin.qq.com]
  quiet_hours: ["23:00-07:00"]
groups:
  g1:
    name: 测试群
    admins: [coach]
"""

# Messages about everyday things, none about writing: what a drifting conversation says.
DRIFT = [
    ("bob", "有人知道附近哪家火锅好吃吗"),
    ("carol", "今天股票又绿了，心态崩了"),
    ("bob", "双十一你们都买了什么？"),
    ("dave", "有没有人一起开黑打王者？"),
    ("carol", "房贷利率又降了，要不要提前还款"),
    ("bob", "这周末去哪里露营比较好？"),
]

ON_TOPIC = [
    ("bob", "今天的选题我想写家乡的老街，大家觉得从哪个角度切入好？"),
    ("carol", "标题改了三遍还是不满意，求帮忙看看"),
    ("dave", "这篇稿子的开头太平了，可以先抛出一个冲突"),
    ("bob", "投稿被拒了，编辑说结构太散"),
]


def moderation_config(text: str = MODERATION_CONFIG) -> AppConfig:
    return config_from(text)
