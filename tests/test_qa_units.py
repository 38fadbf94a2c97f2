"""Q&A pieces without the router: question intent, the eval command, FAQ files, export/import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import parse_config
from bot.replay import format_outgoing, run_replay
from bot.text.normalize import looks_like_question, shared_analyzer, strip_politeness
from bot.text.qa_matcher import FaqDoc, FaqIndex
from handlers.qa_service import FaqFileError, read_faq_file
from tests.qa_support import QA_CONFIG

HERE = Path(__file__).parent
DEV = HERE.parent.parent / "shared" / "eval" / "qa_dev.yaml"
SUMMARY_KEYS = ["cases", "top1_accuracy", "false_answer_rate", "p99_ms"]


@pytest.mark.parametrize(
    "text",
    [
        "打卡要怎么打？",
        "每天怎么签到啊",
        "想问下训练营的价格",
        "有录播吗",
        "不知道写啥",
        "能退钱吗",
    ],
)
def test_questions_are_recognised(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "打卡",
        "打卡 1200字",
        "哈哈哈哈",
        "早上好各位！",
        "收到",
        "/faq todo",
        "这个开头写得很吸引人",
    ],
)
def test_statements_greetings_and_commands_are_not_questions(text: str) -> None:
    assert not looks_like_question(text)


def test_politeness_is_stripped_before_matching() -> None:
    assert strip_politeness("大家好，请问一下分享会几点开始？") == "分享会几点开始？"


def test_index_answers_synonyms_and_stays_silent_without_a_topic_word() -> None:
    docs = [
        FaqDoc("refund", "可以退款吗？", "7 天内可以退款。"),
        FaqDoc("time", "分享会是什么时候？", "每周三晚上 8 点。"),
    ]
    index = FaqIndex.build(docs, shared_analyzer())
    assert index.match("不想学了能退钱吗").answer_key == "refund"
    assert index.match("周末大家都去哪玩了？").answer_key is None  # only an intent word
    assert index.match("你们几点睡觉？").answer_key is None
    assert index.match("退款").answer_key is None  # not a question


def test_everyday_near_words_meet_without_changing_how_the_tokenizer_cuts() -> None:
    analyzer = shared_analyzer()
    # Words the tokenizer already cuts whole meet their near-synonyms...
    assert analyzer.canonical("柜子") == analyzer.canonical("储物柜") == ("储物",)
    assert analyzer.canonical("学历") == analyzer.canonical("资质") == ("背景",)
    assert analyzer.canonical("收钱") == ("费用",)
    # Shop and service words: opening hours, foreigners, returns, shipping.
    assert analyzer.canonical("打烊") == analyzer.canonical("营业时间") == ("营业",)
    assert analyzer.canonical("老外") == analyzer.canonical("外国人") == ("外国人",)
    assert analyzer.canonical("退货") == analyzer.canonical("换货") == ("退换",)
    assert analyzer.canonical("到货") == ("发货",)
    # Colloquial question words read like the plain ones.
    plain = analyzer.analyze("什么时候开始报名", question=True).terms
    assert analyzer.analyze("多会儿开始报名", question=True).terms == plain
    assert analyzer.analyze("神马时候开始报名", question=True).terms == plain
    assert analyzer.analyze("咋个报名", question=True).terms == ("报名",)
    # ...but are never taught to the tokenizer (the topic classifier shares it).
    assert "储物柜" not in analyzer.surfaces()
    assert "柜子" not in analyzer.surfaces()
    docs = [
        FaqDoc("locker", "有储物柜吗？", "前台旁边有储物柜，免费使用。"),
        FaqDoc("teacher", "老师是什么背景？", "都是音乐学院毕业，有十年教学经验。"),
        FaqDoc("fee", "摆摊要交摊位费吗？", "每个摊位 20 元。"),
    ]
    index = FaqIndex.build(docs, analyzer)
    assert index.match("更衣室有柜子吗").answer_key == "locker"
    assert index.match("老师都是什么学历？").answer_key == "teacher"
    assert index.match("明天下雨吗？").answer_key is None  # a near-word no entry uses


def test_separable_verbs_are_read_as_the_one_word() -> None:
    analyzer = shared_analyzer()
    assert analyzer.analyze("给狗洗个澡多少钱").terms[:2] == ("狗", "洗澡")
    assert "请假" in analyzer.analyze("我想请两天假可以吗").terms
    assert "报名" in analyzer.analyze("怎么报个名").terms
    # Only a known verb and object meet: 上个月 is a month, not a class.
    assert "上课" not in analyzer.analyze("上个月的课能补吗").terms
    # The tokenizer itself is unchanged: the halves are joined after it cut them.
    assert "洗个澡" not in analyzer.surfaces()
    docs = [
        FaqDoc("bath", "洗澡怎么收费？", "小型犬 60 元。"),
        FaqDoc("leave", "生病了能请假吗？", "提前一天说。"),
    ]
    index = FaqIndex.build(docs, analyzer)
    assert index.match("给狗洗个澡多少钱").answer_key == "bath"
    assert index.match("生病了想请个假可以吗").answer_key == "leave"


def test_a_place_asked_of_a_one_character_thing_is_answered() -> None:
    docs = [
        FaqDoc("address", "店在什么位置？", "滨江路 168 号。"),
        FaqDoc("hours", "店里几点开门？", "上午 10 点到晚上 9 点。"),
        FaqDoc("bath", "洗澡要预约吗？", "需要，在小程序预约。"),
    ]
    index = FaqIndex.build(docs, shared_analyzer())
    assert index.match("店地址在哪里").answer_key == "address"
    # Only when something is asked of it: a bare character is no topic otherwise.
    assert index.match("店好吗").answer_key is None
    assert index.match("在哪里？").answer_key is None


def write_cases(path: Path) -> Path:
    path.write_text(
        """
theme: {name: 健身营, keywords: [减脂, 跟练]}
faq:
  - {id: price, question: 训练营收费多少？, answer: 199 元。}
  - {id: replay, question: 直播错过了能看回放吗？, answer: 群文件里有回放。}
cases:
  - {query: 这个营多少钱啊, expect: price}
  - {query: 今天的直播没赶上，有录播吗？, expect: replay}
  - {query: 股票又跌了, expect: null}
  - {query: 退款怎么弄？, expect: replay}
""",
        encoding="utf-8",
    )
    return path


def test_eval_prints_misses_then_the_summary_as_the_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    assert main(["eval", "qa", str(cases), "--config", str(tmp_path / "none.yaml")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert list(summary) == SUMMARY_KEYS
    assert summary["cases"] == 4
    assert any(line.startswith("MISS  退款怎么弄？") for line in lines)  # shown for operators
    assert all(isinstance(summary[k], (int, float)) for k in SUMMARY_KEYS)


def test_eval_json_prints_only_the_summary_and_scales(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    args = ["eval", "qa", str(cases), "--json", "--scale", "300", "--config", "x.yaml"]
    assert main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and list(json.loads(lines[0])) == SUMMARY_KEYS


def test_eval_rejects_a_case_naming_an_unknown_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("faq: []\ncases:\n  - {query: 啥, expect: nope}\n", encoding="utf-8")
    assert main(["eval", "qa", str(bad)]) == 1
    assert "nope" in capsys.readouterr().err


@pytest.mark.skipif(not DEV.exists(), reason="shared/eval/qa_dev.yaml is not beside the repo")
def test_dev_set_meets_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "qa", str(DEV), "--json", "--config", "no-such.yaml"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["top1_accuracy"] >= 0.90 and summary["false_answer_rate"] <= 0.02


def test_faq_files_yaml_and_csv(tmp_path: Path) -> None:
    csv_file = tmp_path / "faq.csv"
    csv_file.write_text(
        "id,question,answer,similar\nfee,会员费多少钱？,365 元,年费多少|会员价格\n",
        encoding="utf-8",
    )
    [item] = read_faq_file(csv_file)
    assert (item.id, item.similar) == ("fee", ["年费多少", "会员价格"])
    bad = tmp_path / "faq.yaml"
    bad.write_text("faq:\n  - {id: a b, question: q, answer: a}\n", encoding="utf-8")
    with pytest.raises(FaqFileError, match=r"faq\.yaml:2: faq\[0\]\.id: an FAQ id is"):
        read_faq_file(bad)


def test_faq_import_then_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(QA_CONFIG + "storage: {url: 'sqlite:///bot.db'}\n", encoding="utf-8")
    source = tmp_path / "more.yaml"
    source.write_text(
        "faq:\n  - {id: cert, question: 有证书吗？, answer: 结营发电子证书。, similar: [证书怎么领]}\n",
        encoding="utf-8",
    )
    # the import writes only into a database `groupops db upgrade` has prepared
    assert main(["faq", "import", str(source), "--config", str(config)]) == 1
    assert f"no database file at {tmp_path / 'bot.db'}" in capsys.readouterr().err
    assert not (tmp_path / "bot.db").exists()
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert main(["faq", "import", str(source), "--config", str(config)]) == 0
    assert main(["faq", "import", str(source), "--config", str(config)]) == 0  # no duplicate
    assert "skipped 1" in capsys.readouterr().out
    assert main(["faq", "export", "--config", str(config), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "fee,会员费多少钱？" in out and "有证书吗？,结营发电子证书。,证书怎么领,,db" in out


QA_REPLAY = QA_CONFIG.replace("  g1:\n    name: 测试群", "  writers:\n    name: 写作群")


async def test_learning_transcript(tmp_path: Path) -> None:
    text = (HERE / "transcripts" / "qa_learning.txt").read_text(encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    sent = await run_replay(text, parse_config(QA_REPLAY), url)
    said = [format_outgoing(m, False).split("🤖 ", 1)[1] for m in sent]
    assert said == [
        "@alice 年费会员 365 元，季度会员 128 元。",
        "@carol 这个问题刚在 08:00 回答过（「会员费多少钱？」），往上翻翻就能看到哦～",
        "@dave 抱歉，这个命令只有管理员可以使用。",
        said[3],
        "@dave 关于「训练营的证书怎么领取？」：结营后在群公告里填表即可领取电子证书。",
        "@coach ✅ 已回复并已收录为常见问答 [1]。",
        "@erin 结营后在群公告里填表即可领取电子证书。",
        "@frank 有的，回放会在分享结束后 24 小时内整理到群精华里。",
    ]
    assert said[3].startswith("@coach 📝 待回答的问题") and "#1 训练营的证书怎么领取？" in said[3]
