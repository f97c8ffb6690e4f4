"""The parser on the real letters: labels, sections, clean-up, metadata."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from qa.corpus import CorpusError, load_corpus, load_letter
from qa.parse import parse_letter
from qa.textclean import ends_sentence

from .conftest import ASSESSMENT, CORPUS, RETREAT


def numbered(parsed):
    return [p for p in parsed.passages if p.part == "annex" and p.label.isdigit()]


def test_retreat_report_numbers_paragraphs_1_to_46_once_in_order(letters):
    labels = [p.label for p in numbered(letters[RETREAT])]
    assert labels == [str(n) for n in range(1, 47)]


@pytest.mark.parametrize(
    ("label", "section"),
    [
        ("1", ("一. 背景和目标",)),
        ("5", ("二. 概览",)),
        ("7", ("三. 讨论概要", "A. 开幕式重点")),
        ("11", ("三. 讨论概要", "B. 第一次会议", "执行 S/2017/507号说明")),
        ("13", ("三. 讨论概要", "B. 第一次会议", "在安全理事会工作的透明度和效率之间取得平衡")),
        ("22", ("三. 讨论概要", "C. 第二次会议", "安理会内部动态、起草成果流程和执笔方制度问题")),
        ("41", ("三. 讨论概要", "F. 第五次会议", "会议期间使用通报人")),
        ("46", ("三. 讨论概要", "G. 第六次会议", "总结和主要成果")),
    ],
)
def test_retreat_paragraphs_sit_under_their_headings(letters, label, section):
    passage = next(p for p in numbered(letters[RETREAT]) if p.label == label)
    assert passage.section == section


def test_lettered_items_belong_to_their_paragraph(letters):
    items = [p.label for p in letters[RETREAT].passages if p.kind == "item"]
    assert items == [f"6({c})" for c in "abcdef"] + [f"46({c})" for c in "abcd"]
    item = next(p for p in letters[RETREAT].passages if p.label == "46(b)")
    assert item.text.startswith("执笔方制度：")
    assert item.citation.endswith("附件 · 第46段(b)项")


def test_monthly_assessment_keeps_region_and_country_as_section(letters):
    def starting(prefix):
        return next(p for p in letters[ASSESSMENT].passages if p.text.startswith(prefix))

    assert starting("2月26日，安全理事会就布隆迪").section == ("非洲", "布隆迪")
    assert starting("2月20日，安全理事会听取了关于海地").section == ("美洲", "海地")
    assert next(p for p in letters[ASSESSMENT].passages if "PRST/2020/3" in p.symbols).section == ("专题问题和其他问题", "儿童与武装冲突")


def test_no_conversion_leftovers_in_any_passage(all_passages):
    for passage in all_passages:
        assert "](#)" not in passage.text and "**" not in passage.text, passage.id
        assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", passage.text), passage.id


def test_no_passage_ends_in_mid_sentence(all_passages):
    # Titles, headings-like bullets and the signature block have no full stop by nature;
    # body paragraphs, numbered paragraphs, items and footnotes must end a sentence.
    prose = [p for p in all_passages if p.kind in ("paragraph", "item", "footnote") and len(p.text) > 40]
    assert len(prose) > 120
    cut = [p.id for p in prose if not ends_sentence(p.text)]
    assert cut == []


def test_page_break_halves_are_joined(letters):
    text = "\n".join(p.text for p in letters[ASSESSMENT].passages)
    assert "他们还敦促中非共和国当局" in text
    assert "作为民间社会代表参加了会议" in text


@pytest.mark.parametrize(
    ("source", "date", "senders", "addressee"),
    [
        (RETREAT, dt.date(2020, 3, 3), ("科威特", "圣文森特和格林纳丁斯"), "安全理事会主席"),
        ("001_3f00e30ef83b5dc3.txt", dt.date(2023, 8, 28), ("阿尔巴尼亚",), "安全理事会主席"),
        ("002_f3e08423b88a68df.txt", dt.date(2021, 2, 8), ("新西兰", "瑞士"), "安全理事会主席"),
        ("003_f8451f1751e71b7b.txt", dt.date(2024, 3, 1), ("日本",), "秘书长"),
        (ASSESSMENT, dt.date(2020, 11, 9), ("比利时",), "安全理事会主席"),
    ],
)
def test_letter_metadata(letters, source, date, senders, addressee):
    letter = letters[source].letter
    assert (letter.date, letter.senders, letter.addressee) == (date, senders, addressee)
    assert letter.title.endswith("的信") and "安 全" not in letter.title


def test_signatories_and_header(letters):
    assert [s.name for s in letters[RETREAT].letter.signatories] == ["曼苏尔·奥泰比", "因加·罗恩塔·金"]
    assert letters[RETREAT].letter.signatories[0].titles == ("科威特常驻联合国代表",)
    assert [s.name for s in letters["002_f3e08423b88a68df.txt"].letter.signatories] == ["帕斯卡尔·贝里斯韦尔", "克雷格·约翰·霍克"]
    assert letters["003_f8451f1751e71b7b.txt"].letter.signatories[0].titles == ("日本常驻联合国代表", "特命全权大使")
    header = dict(letters[ASSESSMENT].letter.header)
    assert header["distribution"] == "General" and header["date"] == "2020-11-30" and header["original_language"] == "English"
    assert letters[ASSESSMENT].letter.addressee_role == "President of the Security Council"


def test_footnotes_are_passages_linked_both_ways(letters):
    passages = {p.id: p for p in letters["003_f8451f1751e71b7b.txt"].passages}
    citing = next(p for p in passages.values() if "¹自2017年" in p.text)
    assert [passages[f].label for f in citing.footnotes] == ["fn1", "fn2", "fn3"]
    assert passages["003_f8451f1751e71b7b/annex/fn2"].cited_by == (citing.id,)
    assert "S/2021/1074" in passages["003_f8451f1751e71b7b/annex/fn2"].symbols


def test_symbols_are_kept_on_passages(all_passages):
    symbols = {s for p in all_passages for s in p.symbols}
    assert {"S/2017/507", "S/2019/993", "PRST/2020/3", "SC/14128", "2512(2020)", "76/262"} <= symbols


def test_ids_are_unique_and_stable_across_parses(letters):
    again = {parsed.letter.source: parsed for parsed in load_corpus(CORPUS)}
    for source, parsed in letters.items():
        ids = [p.id for p in parsed.passages]
        assert len(ids) == len(set(ids))
        assert ids == [p.id for p in again[source].passages]
    assert "000_bcf0f639adb97a43/annex/13" in {p.id for p in letters[RETREAT].passages}


def test_citation_reads_like_the_document(letters):
    passage = next(p for p in letters[RETREAT].passages if p.label == "13")
    assert passage.citation == "2020年3月3日科威特和圣文森特和格林纳丁斯常驻联合国代表给安全理事会主席的信 · 附件 · 第13段"


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig"])
def test_other_encodings_parse_to_the_same_passages(tmp_path, letters, encoding):
    text = (CORPUS / RETREAT).read_text(encoding="utf-8")
    copy = tmp_path / RETREAT
    copy.write_bytes(text.encode(encoding))
    assert load_letter(copy).passages == letters[RETREAT].passages


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"  \n\n", "empty"), (bytes(range(256)) * 8, "binary"), ("只是一段话。".encode(), "no title line")],
)
def test_unreadable_files_are_refused_with_their_name(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as error:
        load_letter(path)
    assert "bad.txt" in str(error.value)


def test_a_bad_file_in_the_folder_names_itself_and_the_rest_loads(tmp_path, caplog):
    for path in CORPUS.glob("*.txt"):
        shutil.copy(path, tmp_path)
    (tmp_path / "zz_broken.txt").write_bytes(b"\xff\xfe\x00")
    assert len(load_corpus(tmp_path)) == 5
    assert "zz_broken.txt" in caplog.text


def test_date_in_title_must_be_real():
    with pytest.raises(ValueError, match="not a real date"):
        parse_letter("2020年2月30日日本常驻联合国代表给秘书长的信\n正文。", "x.txt")
