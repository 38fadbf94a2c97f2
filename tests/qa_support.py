"""Config and helpers for the Q&A tests."""

from __future__ import annotations

from bot.config import AppConfig
from tests.support import config_from

QA_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  theme:
    name: 写作成长营
    keywords: [写作, 日更, 文章, 投稿, 选题]
  qa:
    cooldown_minutes: 10
    faq:
      - id: fee
        question: 会员费多少钱？
        answer: 年费会员 365 元，季度会员 128 元。
      - id: share-time
        question: 每周的主题分享会是什么时候？
        answer: 每周三晚上 8 点在群里进行主题分享。
      - id: refund
        question: 可以退款吗？
        answer: 加入 7 天内可以全额退款，请私信班长处理。
      - id: replay
        question: 错过了分享会有回放吗？
        answer: 有的，回放会在分享结束后 24 小时内整理到群精华里。
groups:
  g1:
    name: 测试群
    admins: [coach]
"""


def qa_config(text: str = QA_CONFIG) -> AppConfig:
    return config_from(text)
