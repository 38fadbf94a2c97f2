"""The Q&A targets on every held-out and development community in tests/data.

Targets: top-1 accuracy >= 0.85 with false answers <= 0.02 on each community. Held-out files
(qa_holdout_*, qa_other) were written before the work that measured them and were never tuned
on; development files (qa_dev_*) were. `MEASURED` holds the figures of the final measurement
(`groupops eval qa tests/data/FILE --json`); a community below a target is an expected
failure of the target test (strict: meeting the target fails it, so the mark is removed),
and every community must stay at its measured level.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.qa_eval import EvalReport, load_eval_set, run_eval

DATA = Path(__file__).parent / "data"
TOP1 = 0.85
FALSE = 0.02

# name: (top1_accuracy, false_answer_rate) at the final measurement.
MEASURED: dict[str, tuple[float, float]] = {
    "qa_holdout_garden.yaml": (0.6939, 0.0093),
    "qa_holdout_gongkao.yaml": (0.8704, 0.0259),
    "qa_holdout_hiking.yaml": (0.7800, 0.0360),
    "qa_holdout_tuangou.yaml": (0.6739, 0.0095),
    "qa_holdout_english.yaml": (0.8689, 0.0133),
    "qa_holdout_parenting.yaml": (0.7460, 0.0128),
    "qa_holdout_photo.yaml": (0.8000, 0.0000),
    "qa_other.yaml": (0.8182, 0.0250),
    # written by a separate author while this round's matcher work went on; first measured on
    # the tree before it (0.5000/0.0857, 0.7895/0.0429, 0.7179/0.0845), never tuned on
    "qa_holdout_aquarium.yaml": (0.5526, 0.0429),
    # 0.7895 before the round on question forms, answer words, everyday words and coverage
    # checks; two answers fewer after it (the other held-out communities gained)
    "qa_holdout_guitar.yaml": (0.7368, 0.0143),
    "qa_holdout_mortgage.yaml": (0.7179, 0.0563),
    "qa_dev_writing.yaml": (0.9273, 0.0000),
    "qa_dev_photo_club.yaml": (0.7833, 0.0111),
    "qa_dev_bookclub.yaml": (0.8372, 0.0206),
    "qa_dev_coding.yaml": (0.8909, 0.0341),
    "qa_dev_cooking.yaml": (0.8780, 0.0000),
    "qa_dev_running.yaml": (0.8974, 0.0000),
    "qa_dev_yoga.yaml": (0.9104, 0.0088),
    "qa_dev_piano.yaml": (0.9677, 0.0370),
    "qa_dev_thrift.yaml": (0.8182, 0.0000),
    "qa_dev_knitting.yaml": (0.9048, 0.0000),
    # written before the third matcher round; measured before it at 0.5758/0.0656 and
    # 0.5294/0.1311 (language exchange with its one label fixed)
    "qa_dev_petshop.yaml": (0.6364, 0.0656),
    "qa_dev_langexchange.yaml": (0.7059, 0.0328),
    # written with about a third of no-answer cases that share an entry's topic words but ask
    # a detail its answer does not give
    "qa_dev_swimming.yaml": (0.8889, 0.0182),
    "qa_dev_housekeeping.yaml": (0.6765, 0.0545),
    "qa_dev_badminton.yaml": (0.6176, 0.0545),
    # written before the matcher round on answer words and words held as parts; measured
    # before it at 0.4286/0.0806. Alone it measures 0.5238/0.0968; here, after the other
    # communities taught the tokenizer their words, one more answer is given (周六下午有课吗
    # reaches the replay entry through 课): the figure kept is this process's.
    "qa_dev_calligraphy.yaml": (0.5714, 0.0806),
    # written before the work on how members put questions (split words, 多+adjective, a
    # wish stated for a service); measured before it at 0.4762/0.0000
    "qa_dev_dance.yaml": (0.7381, 0.0328),
    # written before the false-answer round that followed, most no-answer cases sharing an
    # entry's topic words; measured before it at 0.7778/0.0794
    "qa_dev_kidspark.yaml": (0.8889, 0.0317),
    # Second and third held-out rounds: written before the matcher round that followed them
    # and measured only before it (tests/data/HOLDOUT2_BASELINE.md: drone 0.6538/0.1013,
    # jiakao 0.5862/0.1190, liuxue 0.6471/0.1282; HOLDOUT3_BASELINE.md: pottery 0.2444/0.0429,
    # senior 0.2439/0.0308, studyroom 0.3182/0.0000) and after it; never tuned on. These
    # floors are that round's final measurement, in this process (the tokenizer has learned
    # the other files' words, so a figure can differ a little from `groupops eval qa`).
    "qa_holdout2_drone.yaml": (0.6731, 0.0633),
    "qa_holdout2_jiakao.yaml": (0.6207, 0.0952),
    "qa_holdout2_liuxue.yaml": (0.6667, 0.1154),
    "qa_holdout3_pottery.yaml": (0.2889, 0.0000),
    "qa_holdout3_senior.yaml": (0.2683, 0.0462),
    "qa_holdout3_studyroom.yaml": (0.3864, 0.0299),
    # written before the round on how a message in several clauses is read (questions told
    # long-winded after their occasion, courtesy around them); measured before it at
    # 0.3256/0.0462
    "qa_dev_bikeshop.yaml": (0.3488, 0.0462),
    # written in members' colloquial, regional and internet spellings (咋整, 多钱, 木有); a
    # spelling round built on it was not merged (it cost held-out communities answers)
    "qa_dev_laundry.yaml": (0.4545, 0.0462),
}
# Held-out communities written before a round of matcher work are listed here until that
# round's final measurement: run only for its before/after figures, with no floors yet.
BASELINE_ONLY: frozenset[str] = frozenset()
# Room for other changes to the shared tokenizer (a word learned elsewhere cuts differently).
ACCURACY_SLACK = 0.03
FALSE_SLACK = 0.012

_reports: dict[str, EvalReport] = {}


def report_of(name: str) -> EvalReport:
    if name not in _reports:
        _reports[name] = run_eval(load_eval_set(DATA / name), timing_rounds=1)
    return _reports[name]


def test_every_qa_eval_file_is_listed() -> None:
    assert sorted(p.name for p in DATA.glob("qa_*.yaml")) == sorted([*MEASURED, *BASELINE_ONLY])


def _target(name: str) -> object:
    top1, false = MEASURED[name]
    if top1 >= TOP1 and false <= FALSE:
        return name
    reason = f"measured top-1 {top1:.3f}, false answers {false:.3f}"
    return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize("name", [_target(name) for name in MEASURED])
def test_each_community_meets_the_targets(name: str) -> None:
    report = report_of(name)
    assert report.top1_accuracy >= TOP1
    assert report.false_answer_rate <= FALSE


@pytest.mark.parametrize("name", list(MEASURED))
def test_each_community_stays_at_its_measured_level(name: str) -> None:
    top1, false = MEASURED[name]
    report = report_of(name)
    assert report.top1_accuracy >= top1 - ACCURACY_SLACK
    assert report.false_answer_rate <= false + FALSE_SLACK
