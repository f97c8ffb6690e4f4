"""The span features that compare question and candidate: rare words, the question's frame, the kind tied to the question's words."""

from __future__ import annotations

import datetime as dt

import numpy as np

from qa.candidates import SPAN_FEATURES, span_candidates
from qa.documents import Passage
from qa.frame import question_frame
from qa.results import Hit
from qa.sentences import SentenceTable, passage_sentences
from qa.tokens import ChineseTokenizer

TOKENIZER = ChineseTokenizer()
COLUMN = {name: n for n, name in enumerate(SPAN_FEATURES)}


def features_by_text(question: str, text: str) -> dict[str, dict[str, float]]:
    passage = Passage("cmrc.json", "", dt.date.min, "annex", (), "p1", "paragraph", text)
    rows = passage_sentences(passage)
    table = SentenceTable(np.zeros(len(rows), dtype=np.int32), np.array([s for s, _ in rows], dtype=np.int32), np.array([e for _, e in rows], dtype=np.int32), np.zeros((len(rows), 1), dtype=np.float32))
    candidates = span_candidates(question, lambda r: np.zeros(len(r)), [Hit(passage, 1.0, 0.9, 10.0, 1, 1)], [0], table, TOKENIZER)
    return {text[s:e]: {name: float(candidates.features[i, n]) for name, n in COLUMN.items()} for i, (_, s, e) in enumerate(candidates.spans)}


# CMRC 2018 trial: the fish's name stands in the first sentence, and the answer in the next one.
FISH = "蓝线裸顶鲷，又称蓝线白𫚭，俗名龙尖，为辐鳍鱼纲鲈形目龙占鱼科的其中一个种。本鱼体呈银灰色，有若干不规则污斑。蓝线裸顶鲷的体长可达60公分。"


def test_a_word_every_sentence_uses_counts_less_than_one_only_the_answer_uses():
    spans = features_by_text("蓝线裸顶鲷的身体是什么颜色的？", FISH)
    named, length = spans["蓝线裸顶鲷，又称蓝线白𫚭，俗名龙尖，为辐鳍鱼纲鲈形目龙占鱼科的其中一个种。"], spans["蓝线裸顶鲷的体长可达60公分。"]
    # both name the fish; weighted by rarity, the name (in two of three sentences) counts less than 身体, which none uses
    assert named["words"] == length["words"] > 0
    assert 0 < named["rare_words"] < named["words"]


def test_the_frame_is_the_words_around_the_asking_word():
    assert question_frame("罗保铭2017年4月担任什么职务？", TOKENIZER)[-2:] == ("担任", "职务")
    assert question_frame("全香港共有几所高中书院？", TOKENIZER) == ("香港", "共有", "高中", "书院")  # 几所 asks, with its measure word
    assert question_frame("What is the capital of France?", TOKENIZER) == ()
    spans = features_by_text("罗保铭2017年4月担任什么职务？", "2017年4月1日，罗保铭卸任中共海南省委书记。2017年4月，任全国人民代表大会华侨委员会副主任委员。其后担任华侨委员会副主任委员一职。")
    assert spans["其后担任华侨委员会副主任委员一职。"]["frame"] > spans["2017年4月1日，罗保铭卸任中共海南省委书记。"]["frame"]


def test_the_count_asked_for_counts_where_the_question_words_stand_beside_it():
    text = "2月13日，安全理事会就过渡期正义问题举行了一次公开辩论，15个成员出席。近60个代表团作了发言，一些代表团分享了经验教训。"
    spans = features_by_text("有多少个代表团在公开辩论中作了发言？", text)
    debate, speakers = spans["2月13日，安全理事会就过渡期正义问题举行了一次公开辩论，15个成员出席。"], spans["近60个代表团作了发言，一些代表团分享了经验教训。"]
    assert debate["kind"] == speakers["kind"] == 1.0  # both hold a count
    assert speakers["kind_anchored"] > debate["kind_anchored"]  # only one beside 代表团 and 发言
