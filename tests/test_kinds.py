"""What kind of answer a question asks for, and whether a span holds one."""

from __future__ import annotations

import pytest

from qa.candidates import SpecificTerms
from qa.kinds import answer_kind
from qa.short import short_span
from qa.tokens import ChineseTokenizer

TOKENIZER = ChineseTokenizer()


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("S/2017/507号主席说明是哪一天发布的？", "day"),
        ("非正式工作组的年度报告是哪一年首次发布的？", "year"),
        ("公开辩论何时举行？", "date"),
        ("安理会通过了哪项决议？", "symbol"),
        ("蒙泰罗获得第几名？", "ordinal"),
        ("安理会通过了几项决议？", "count"),
        ("哪两个国家投了弃权票？", "country"),
        ("谁主持了会议？", "person"),
        ("务虚会在哪里举行？", "place"),
        ("为什么要设立公开辩论会？", "reason"),
        ("韩遂因何投靠羌人？", "reason"),
        ("执笔方制度有哪些问题？", "list"),
        ("加强问责制、一致性和透明度国家集团的成员中有哪些北欧国家？", "country"),
        ("Who briefed the Council?", "person"),
        ("How many meetings were held?", "count"),
        ("What is the date of the letter from Belgium?", "day"),
    ],
)
def test_question_words_name_the_kind_of_answer(question, kind):
    assert answer_kind(question).name == kind


@pytest.mark.parametrize("question", ["几内亚比绍的局势如何？", "执笔方制度有什么问题？"])
def test_questions_without_a_kind(question):
    assert answer_kind(question) is None


@pytest.mark.parametrize(
    ("question", "span", "holds"),
    [
        ("安理会举行了多少次公开会议？", "安全理事会举行了26次公开会议", True),
        ("有多少个代表团发言？", "近60个代表团作了发言", True),
        ("派出了几支访问团？", "安理会在2023年只派出了一支实地访问团", True),
        # dates, symbols, ordinals and articles hold no count
        ("第2509(2020)号决议以多少票通过？", "2月11日，安全理事会通过了第2509(2020)号决议", False),
        ("有多少名记者参加？", "参加第三次会议的成员强调，每一位主席都在鼓励", False),
        ("有多少名工作人员？", "包括打算建立一个高级别平台", False),
        # a year inside a symbol or a name is no year
        ("集团成立于哪一年？", "2019冠状病毒病(COVID-19)大流行危机", False),
        ("说明是哪一年通过的？", "自2017年通过主席说明(S/2017/507)以来", True),
        ("说明是哪一年通过的？", "主席说明(S/2017/507)", False),
        ("辩论在哪一天举行？", "提议2020年就这一议题举行辩论", False),
        ("辩论在哪一天举行？", "公开辩论定于2023年9月5日上午10时举行", True),
        # what the question already names is not an answer
        ("2020年2月的会议有几次？", "2020年2月的会议", False),
        # 哪些 is answered by an enumeration, not by the one the question names
        ("比利时担任主席期间安理会举行了哪些会议？", "在2020年2月比利时担任主席期间，安全理事会举行了26次公开会议(包括1次公开辩论、4次“通过”会议和19次通报)和12次全体磋商。", True),
        ("本集团由哪些会员国组成？", "奥地利、智利、哥斯达黎加、丹麦、爱沙尼亚、芬兰、加蓬、加纳、匈牙利、爱尔兰、约旦", True),
        ("加强问责制、一致性和透明度国家集团做了哪些事？", "加强问责制、一致性和透明度国家集团随时准备推动从危机中吸取经验教训的进程", False),
    ],
)
def test_a_span_holds_the_kind_only_with_something_new(question, span, holds):
    assert (answer_kind(question).support(span, question, TOKENIZER.tagged) > 0) is holds


def test_names_are_found_by_their_part_of_speech():
    country = answer_kind("哪个国家担任了主席？")
    assert country.support("我们赞赏日本作为非正式工作组前主席", "哪个国家担任了主席？", TOKENIZER.tagged) > 0
    assert country.support("2月25日，安全理事会以13票赞成、2票弃权通过了决议", "哪个国家弃权？", TOKENIZER.tagged) == 0
    assert country.support("比利时担任主席期间", "比利时是哪个国家？", TOKENIZER.tagged) == 0
    person = answer_kind("谁致欢迎词？")
    assert person.support("司长哈斯米克·艾吉安致欢迎词", "谁致欢迎词？", TOKENIZER.tagged) == 1.0


def test_a_name_answers_who_better_than_a_role_or_a_body():
    question = "阿尔巴尼亚的信由谁签署？"
    who = answer_kind(question)
    name, role = who.support("常驻代表 大使 费里特·霍查(签名)", question), who.support("阿尔巴尼亚常驻联合国代表给安全理事会主席的信", question)
    assert name == 1.0 and 0.0 < role < name
    assert who.support("信已分发", question) == 0.0


def test_dates_a_passage_lacks_are_missing_even_when_their_digits_stand_apart():
    known = "在2020年2月比利时担任主席期间，安理会举行了26次公开会议和3次磋商。"
    tokens = set(TOKENIZER.tokens(known))
    assert SpecificTerms.of("2020年2月安理会举行了多少次公开会议？", TOKENIZER).missing_from(known, tokens) == 0
    assert SpecificTerms.of("2020年3月安理会举行了多少次公开会议？", TOKENIZER).missing_from(known, tokens) == 1
    assert SpecificTerms.of("第2509(2020)号决议以多少票通过？", TOKENIZER).missing_from(known, tokens) == 1


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        ("安理会在2019年派出了几支访问团？", "2019年，安理会向该地区派出了一支访问团，为期五天。", "一支"),
        ("第2511(2020)号决议以多少票通过？", "安全理事会以13票赞成、2票弃权通过了第2511(2020)号决议", "13票"),
        ("研讨会是何时举行的？", "研讨会于2021年3月4日至6日在日内瓦举行。", "2021年3月4日至6日"),
        ("谁介绍了报告？", "会上，主管政治事务副秘书长罗斯玛丽·迪卡洛介绍了报告。", "罗斯玛丽·迪卡洛"),
        ("谁签署了这封信？", "比利时常驻联合国代表特命全权大使菲利普·克里德尔卡(签名)", "菲利普·克里德尔卡"),  # jieba: 克|里德尔|卡
        ("谁介绍了报告？", "会上，乌尔苏拉·米勒说明了报告。", "乌尔苏拉·米勒"),
        ("哪份文件规定了这一做法？", "这一做法载于S/2017/507号说明。", "S/2017/507"),
        ("为什么安理会延长了任务期限？", "安理会延长了任务期限，以便特派团完成过渡。", None),
        ("谁介绍了报告？", "会上，主管政治事务的副秘书长介绍了报告。", None),
    ],
)
def test_the_short_answer_is_the_span_of_the_kind_asked(question, text, short):
    span = short_span(answer_kind(question), text, 0, len(text), question, TOKENIZER.tagged)
    assert (text[span[0] : span[1]] if span else None) == short
