"""Which spans are offered as answers: sentences, clause runs and short sentences run on into a neighbour."""

from __future__ import annotations

import datetime as dt

import numpy as np

from qa.candidates import MAX_ANSWER_CHARS, span_candidates
from qa.documents import Passage
from qa.results import Hit
from qa.sentences import SentenceTable, passage_sentences
from qa.spans import clause_spans
from qa.tokens import ChineseTokenizer

TOKENIZER = ChineseTokenizer()


def candidate_texts(question: str, text: str) -> list[str]:
    """The candidate spans of one passage (the cosines are left out: they do not choose which spans are offered)."""
    passage = Passage("cmrc.json", "", dt.date.min, "annex", (), "p1", "paragraph", text)
    rows = passage_sentences(passage)
    table = SentenceTable(np.zeros(len(rows), dtype=np.int32), np.array([s for s, _ in rows], dtype=np.int32), np.array([e for _, e in rows], dtype=np.int32), np.zeros((len(rows), 1), dtype=np.float32))
    candidates = span_candidates(question, lambda r: np.zeros(len(r)), [Hit(passage, 1.0, 0.9, 10.0, 1, 1)], [0], table, TOKENIZER)
    for h, s, e in candidates.spans:
        assert passage.text[s:e] == text[s:e] and h == 0
    return [text[s:e] for _, s, e in candidates.spans]


# CMRC 2018 trial: the short sentence restates the question ("为什么投降曹操？"); the reason stands in the longer one before it.
SURRENDER = "后来夏侯渊回汉中，留下阎行，成公英于是结集羌胡兵众数万人攻打阎行，阎行不敌，有意撤退；此时韩遂逝世，成公英唯有投降曹操。其后成公英得到曹操的厚待。"


def test_a_short_sentence_is_also_offered_with_the_longer_sentence_before_it():
    texts = candidate_texts("成公英后来为什么投降曹操？", SURRENDER)
    assert "后来夏侯渊回汉中，留下阎行，成公英于是结集羌胡兵众数万人攻打阎行，阎行不敌，有意撤退；此时韩遂逝世，成公英唯有投降曹操。" in texts
    assert "此时韩遂逝世，成公英唯有投降曹操。" in texts  # alone, and run on into the next, as before
    assert "此时韩遂逝世，成公英唯有投降曹操。其后成公英得到曹操的厚待。" in texts
    assert all(len(t) <= MAX_ANSWER_CHARS for t in texts)
    assert len(texts) == len(set(texts))


def test_two_short_sentences_give_their_run_once():
    texts = candidate_texts("果实有多长？", "非洲猴面包树的果实长约15至20厘米。叶子可以吃。")
    assert texts.count("非洲猴面包树的果实长约15至20厘米。叶子可以吃。") == 1


def test_a_number_or_a_time_is_no_clause_boundary():
    # CMRC 2018 trial: the altitude 2,400米 and the hour 11:00 were cut at their comma and colon
    text = "雷公藤主要分布于东亚地区，包括日本、朝鲜、台湾岛以及中国大陆的江苏、广西、湖北、安徽、福建、湖南、浙江等地，生长于海拔200米至2,400米的地区，多生于山地林内阴湿处。"
    clauses = [text[s:e] for s, e in clause_spans(text, 0, len(text))]
    assert "生长于海拔200米至2,400米的地区" in clauses
    text = "《台视周日卡通》为1980年代中台湾电视公司主要于每周日上午11:00～12:00（台湾时间，以下皆同）播出动画节目的时段"
    assert any("11:00～12:00" in text[s:e] for s, e in clause_spans(text, 0, len(text)))
    # a comma or a colon between words still ends a clause
    text = "英文全称：Bank for Investment, Vietnam"
    assert [text[s:e] for s, e in clause_spans(text, 0, len(text))] == ["英文全称", "Bank for Investment", "Vietnam"]
