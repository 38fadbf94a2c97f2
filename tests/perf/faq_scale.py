"""How the FAQ matcher's cost grows with the FAQ: chatter at 100 and 10,000 entries.

Most messages the Q&A route sees are not questions for the FAQ: chatter that merely looks
like a question ("中午吃啥呀", "周末有人去爬山吗") and statements. Their cost must not follow
the FAQ's size. This script builds the index with the development FAQs of tests/data
(qa_dev_*.yaml) padded with synthetic-but-realistic entries (topic words of the dictionary
put into the questions communities ask: fees, refunds, times, places, replays, contacts),
then prints, per size, the thread CPU time of analysing and matching each chatter message
(median of the per-message medians; the sizes alternate message by message, so the
machine's drift hits them alike), the ratio between the sizes, and the p99 of the
development questions at the largest size:

    python tests/perf/faq_scale.py                # sizes 100 and 10000
    python tests/perf/faq_scale.py --sizes 100 1000 10000 --rounds 30

The last line is JSON: {"chatter_us": {size: µs}, "ratio": large/small, "question_p99_ms"}.
Timing on the shared development machine drifts by ±25%: compare trees by alternating runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
from pathlib import Path

from bot.qa_eval import docs_of, load_eval_set
from bot.text.normalize import Analyzer, shared_analyzer
from bot.text.qa_matcher import FaqDoc, FaqIndex, MatchParams, theme_terms

DATA = Path(__file__).resolve().parents[1] / "data"

# Messages the question pre-filter lets through that no FAQ answers, and plain statements.
CHATTER = (
    "中午吃啥呀？",
    "今天好热啊，你们那边下雨了吗",
    "周末有人一起去爬山吗",
    "这个视频也太好笑了吧？",
    "你们几点下班呀",
    "谁有好看的电视剧推荐吗",
    "刚才那个表情包哪来的？",
    "明天是不是要降温了",
    "这是什么情况？",
    "最近工作好累怎么办啊",
    "晚上吃火锅还是烧烤？",
    "有没有人知道楼下那家奶茶店关门了吗",
    "这个价格是真的假的？",
    "你家猫几岁了",
    "昨天的球赛谁赢了？",
    "孩子发烧了怎么办",
    "今天终于把报告写完了",
    "哈哈哈哈笑死我了",
    "早上好呀各位",
    "我刚到家，路上好堵",
)


def realistic_docs(n: int, analyzer: Analyzer, seed: int = 7) -> list[FaqDoc]:
    """n FAQ entries: dictionary topic words in the questions communities ask."""
    rng = random.Random(seed)
    words = analyzer.vocabulary_sample(3000, rng)
    templates = (
        ("{a}的报名费多少钱？", "{a}报名费 {n} 元，{b}会员 {m} 元，私信{c}报名。"),
        ("{a}可以退款吗？", "开始前 {n} 天可以全额退款，之后按{b}比例退，联系{c}办理。"),
        ("{a}什么时候开始？", "每周{d}晚上 {h} 点开始，提前一天在群里发{b}链接。"),
        ("{a}在哪里集合？", "在{b}{c}门口集合，{h} 点准时出发。"),
        ("{a}有回放吗？", "有，{a}回放在群文件「{b}」里，保留 {n} 天。"),
        ("{a}{b}怎么报名？", "在小程序{c}页填写报名表，{b}名额 {n} 个。"),
        ("{a}找谁{b}？", "{a}的{b}请私信{c}老师。"),
        ("{a}和{b}有什么区别？", "{a}适合{c}，{b}适合零基础的成员。"),
        ("{a}需要准备什么？", "准备{b}和{c}，其他现场提供。"),
        ("{a}能开发票吗？", "可以，付款后 {n} 天内把抬头发给{c}。"),
    )
    out = []
    for i in range(n):
        a, b, c = (rng.choice(words) for _ in range(3))
        question, answer = rng.choice(templates)
        fill = {
            "a": a,
            "b": b,
            "c": c,
            "d": rng.choice("一二三四五六日"),
            "h": rng.randint(7, 21),
            "n": rng.randint(2, 300),
            "m": rng.randint(2, 300),
        }
        out.append(FaqDoc(f"syn-{i}", question.format(**fill), answer.format(**fill)))
    return out


def dev_sets() -> list[Path]:
    return sorted(DATA.glob("qa_dev_*.yaml"))


def build(size: int, analyzer: Analyzer) -> tuple[FaqIndex, frozenset[str], list[str]]:
    """An index of `size` entries: the development FAQs, then synthetic ones."""
    docs: list[FaqDoc] = []
    keywords: list[str] = []
    questions: list[str] = []
    for path in dev_sets():
        eval_set = load_eval_set(path)
        docs += docs_of(eval_set.faq)
        keywords += eval_set.theme.keywords
        questions += [c.query for c in eval_set.cases if c.expect is not None]
    analyzer.learn(keywords)
    docs = docs[:size] + realistic_docs(max(0, size - len(docs)), analyzer)
    index = FaqIndex.build(docs, analyzer, MatchParams(threshold=0.40, margin=0.08))
    return index, theme_terms(analyzer, keywords), questions


def per_message_us(
    sized: dict[int, tuple[FaqIndex, frozenset[str]]],
    analyzer: Analyzer,
    texts: tuple[str, ...] | list[str],
    rounds: int,
) -> dict[int, list[list[float]]]:
    """Per size and message, `rounds` thread-CPU timings (µs) of analysis + match. The sizes
    alternate message by message, so machine drift hits them alike."""
    out: dict[int, list[list[float]]] = {size: [[] for _ in texts] for size in sized}
    gc.collect()
    for _ in range(rounds):
        for k, text in enumerate(texts):
            for size, (index, theme) in sized.items():
                t0 = time.thread_time()
                analysis = analyzer.analyze(text, cache=False)
                index.match(text, theme=theme, analysis=analysis)
                out[size][k].append((time.thread_time() - t0) * 1e6)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--verbose", action="store_true", help="print each chatter message")
    args = parser.parse_args(argv)
    analyzer = shared_analyzer()
    sized: dict[int, tuple[FaqIndex, frozenset[str]]] = {}
    questions: list[str] = []
    for size in sorted(args.sizes):
        index, theme, questions = build(size, analyzer)
        sized[size] = (index, theme)
    for size, (index, theme) in sized.items():
        for text in CHATTER:  # chatter must stay chatter, whatever the size
            if index.match(text, theme=theme).answer_key is not None:
                print(f"size {size}: chatter answered: {text}")
    timings = per_message_us(sized, analyzer, CHATTER, args.rounds)
    chatter_us: dict[int, float] = {}
    for size, per_text in timings.items():
        medians = [statistics.median(t) for t in per_text]
        chatter_us[size] = round(statistics.median(medians), 1)
        if args.verbose:
            for text, us in zip(CHATTER, medians, strict=True):
                print(f"{size:>6} {us:8.1f} µs  {text}")
        print(
            f"{len(sized[size][0]):>6} entries: chatter {chatter_us[size]:.1f} µs per message "
            f"(median of per-message medians; slowest {max(medians):.1f} µs)"
        )
    large = max(sized)
    q = per_message_us({large: sized[large]}, analyzer, questions, max(3, args.rounds // 5))
    flat = sorted(x for t in q[large] for x in t)
    p99_ms = round(flat[max(0, int(len(flat) * 0.99) - 1)] / 1000, 3)
    print(
        f"{len(sized[large][0]):>6} entries: questions p99 {p99_ms:.3f} ms ({len(questions)} questions)"
    )
    ratio = round(chatter_us[large] / chatter_us[min(sized)], 2)
    print(json.dumps({"chatter_us": chatter_us, "ratio": ratio, "question_p99_ms": p99_ms}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
