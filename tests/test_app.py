"""The web chat (app.py): pure HTML helpers, then the real app in headless Chromium.

The browser tests use the real model, the real index and Debian's chromium
(`scripts/setup.sh --test` installs it); they are marked `browser`.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib.util
import os
import socket
import time

import pytest

from qa.cli import response_record
from qa.config import Settings
from qa.documents import Passage
from qa.engine import MAX_QUESTION_CHARS, Engine
from qa.results import Answer, Hit, Response

from .conftest import CORPUS, RETREAT, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = ROOT / "docs" / "screenshot.png"
ANSWERED = "2023年安理会派出了几支实地访问团？"
# Questions the letters do not answer. Whether the engine abstains on them is its calibration's
# business (evals/); the app's tests make it abstain, to check how an abstention is shown.
OUT_OF_SCOPE = ("今天天气怎么样？", "联合国总部大楼有多少层？")
ANSWER_TIMEOUT_MS = 60_000

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"no {CHROMIUM}: install Debian's chromium (bash scripts/setup.sh --test)"
)


def _load_app_module():
    spec = importlib.util.spec_from_file_location("qa_web_app", ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app_module()


# --- pure helpers ------------------------------------------------------------------------------


def _passage(text: str, label: str = "13", part: str = "annex", section: tuple[str, ...] = ("三. 讨论概要",)) -> Passage:
    return Passage(
        source="000_test.txt",
        letter_title="2020年3月3日某国常驻联合国代表给安全理事会主席的信",
        date=dt.date(2020, 3, 3),
        part=part,
        section=section,
        label=label,
        kind="paragraph",
        text=text,
    )


def test_highlight_marks_the_exact_span_and_escapes_every_piece():
    text = "前<b>言 安理会通过了<i>5</i>项决议 & 后'\""
    start = text.index("安理会")
    end = text.index(" & ")
    marked = app.highlight(text, start, end)
    before, rest = marked.split("<mark>")
    inside, after = rest.split("</mark>")
    assert html.unescape(before) == text[:start]
    assert html.unescape(inside) == text[start:end]
    assert html.unescape(after) == text[end:]
    assert "<b>" not in marked and "<i>" not in marked and marked.count("<") == 2


def test_highlight_at_the_edges_and_outside():
    assert app.highlight("abc", 0, 3) == "<mark>abc</mark>"
    assert app.highlight("abc", 3, 3) == "abc<mark></mark>"
    with pytest.raises(ValueError):
        app.highlight("abc", 2, 4)


def test_escape_text_neutralises_html_and_markdown():
    hostile = "<script>alert(1)</script> *bold* _x_ [link](javascript:alert(1)) # h `c` $$x$$ ![i](y) | ~~s~~"
    escaped = app.escape_text(hostile)
    assert html.unescape(escaped) == hostile
    assert not set("<>*_[]()#`$|~!") & set(escaped.replace("&#", "").replace(";", ""))
    assert app.escape_text("a\nb") == "a<br>b"


def test_reply_for_an_answer_quotes_cites_and_marks_the_span():
    p = _passage("安理会在2020年通过了57项决议。")
    start = p.text.index("57项决议")
    top = Answer("57项决议", start, start + 5, 2.0, p)
    other_p = _passage("另一段<有尖括号>。", label="14")
    other = Answer("有尖括号", 4, 8, 1.5, other_p)
    related = Hit(_passage("相关段落文本。", label="p2", part="letter", section=()), 0.1, 0.8, 3.0, 1, 2)
    reply = app.reply_html(Response("问？", (top, other), False, "", (related,)))
    assert '<blockquote class="qa-quote">「57项决议」</blockquote>' in reply
    shown = html.unescape(reply)
    assert "附件 · 第13段" in shown and "（2020-03-03）" in shown
    assert "安理会在2020年通过了<mark>57项决议</mark>。" in shown
    assert reply.count("<details>") == 2  # the other answer and the related passage
    assert "&lt;<mark>有尖括号</mark>&gt;" in reply and "信 · 第2段(未编号)" in shown
    assert "\n\n" not in reply  # one HTML block: Markdown must not break it up
    assert app.citation_to_copy(top) == f"「57项决议」——《{p.letter_title}》（2020-03-03）· 附件 · 第13段 [000_test/annex/13]"


def test_reply_for_an_abstention_says_so_and_lists_related_reading():
    hit = Hit(_passage("最接近的段落。"), 0.1, 0.5, 1.0, 1, 1)
    response = Response("那2019年呢？", (), True, "文件中没有找到能够回答这个问题的内容。", (hit,))
    reply = app.reply_html(response, follow_up=True, filtered=True)
    assert "文件中没有找到能够回答这个问题的内容。" in html.unescape(reply)
    assert "每个问题都单独回答" in html.unescape(reply) and "筛选" in html.unescape(reply)
    assert "<details><summary>" in reply and "<mark>" not in reply
    plain = app.reply_html(response)
    assert "每个问题都单独回答" not in html.unescape(plain)


def test_question_echo_is_text_and_cut_short():
    assert "<script>" not in app.question_html("<script>alert(1)</script>")
    long = "问" * 5000
    echoed = app.question_html(long)
    assert echoed.startswith("问" * app.ECHO_CHARS) and "共 5000 个字符" in echoed


def test_filters_from_the_controls(letters):
    filters = app.make_filters(["000_bcf0f639adb97a43.txt"], " 2020-01-01 ", "")
    assert filters.sources == ("000_bcf0f639adb97a43.txt",) and filters.date_from == dt.date(2020, 1, 1) and filters.date_to is None
    assert not app.make_filters([], "", None).active
    for bad in ("2020/01/01", "2020-13-01", "20200101", "yesterday"):
        with pytest.raises(app.InputError, match="YYYY-MM-DD"):
            app.make_filters([], bad, "")
    with pytest.raises(app.InputError, match="晚于"):
        app.make_filters([], "2021-01-01", "2020-01-01")
    letters = [parsed.letter for parsed in letters.values()]
    assert app.make_filters([RETREAT], "2020-01-01", "2020-12-31", letters).sources == (RETREAT,)
    with pytest.raises(app.InputError, match="没有任何信件"):
        app.make_filters([RETREAT], "2024-01-01", "", letters)


class _BrokenEngine:
    def ask(self, question, k=5, *, filters=None):
        raise RuntimeError("disk on fire")


def test_a_failing_question_gets_a_short_reply_and_a_logged_traceback(caplog):
    with caplog.at_level("ERROR", logger="qa.app"):
        reply, copy = app.chat_turn(_BrokenEngine(), "安理会？", 5, app.make_filters([], "", ""), follow_up=False)
    assert html.unescape(reply).count(app.ERROR_REPLY) == 1 and copy == ""
    assert "disk on fire" not in reply
    assert caplog.records and caplog.records[0].exc_info and "disk on fire" in caplog.text


def test_empty_and_over_long_questions_get_replies_in_words(engine):
    empty, _ = app.chat_turn(engine, "  ", 5, app.make_filters([], "", ""), follow_up=False)
    assert app.EMPTY_REPLY in html.unescape(empty)
    long, _ = app.chat_turn(engine, "问" * 3000, 5, app.make_filters([], "", ""), follow_up=False)
    assert f"共 3000 个字符，最多 {MAX_QUESTION_CHARS} 个" in html.unescape(long)


def test_address_from_flags_then_environment_then_default():
    assert app.address([], {}) == ("127.0.0.1", 7860)
    assert app.address([], {"QA_HOST": "0.0.0.0", "QA_PORT": "8080"}) == ("0.0.0.0", 8080)
    assert app.address(["--host", "::1", "--port", "9000"], {"QA_HOST": "0.0.0.0", "QA_PORT": "8080"}) == ("::1", 9000)
    with pytest.raises(SystemExit):
        app.address([], {"QA_PORT": "http"})


# --- the running app -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    engine = Engine.open(Settings.from_env(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("app") / "index"))
    engine.ask(ANSWERED, 1)  # warm up, as main() does
    return engine


@pytest.fixture
def abstaining(engine, monkeypatch):
    """The engine abstains on every question for the length of one test."""
    monkeypatch.setattr(engine, "abstain_below", float("inf"))
    return engine


@pytest.fixture(scope="session")
def served(engine):
    """(url, seconds from launch to ready) of the app around the session's engine."""
    began = time.perf_counter()
    demo = app.build_app(engine)
    _, url, _ = app.launch(demo, "127.0.0.1", _free_port(), prevent_thread_lock=True, quiet=True)
    ready = time.perf_counter() - began
    print(f"\napp ready at {url} in {ready:.2f} s (index already built)")
    yield url, ready
    demo.close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}: install Debian's chromium (bash scripts/setup.sh --test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served[0].rstrip("/"))
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(served[0])
    page.locator("#qa-question textarea").wait_for(timeout=ANSWER_TIMEOUT_MS)
    yield page
    context.close()


def _bot_messages(page):
    return page.locator("#qa-chat .qa-reply")


def _ask(page, question: str) -> float:
    """Type the question, press Enter, wait for the reply; returns the seconds it took."""
    before = _bot_messages(page).count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    began = time.perf_counter()
    box.press("Enter")
    _bot_messages(page).nth(before).wait_for(timeout=ANSWER_TIMEOUT_MS)
    return time.perf_counter() - began


def _last_reply(page):
    return _bot_messages(page).last


@pytest.mark.browser
@needs_chromium
def test_a_question_gets_a_quoted_cited_and_highlighted_answer(page, engine, tmp_path):
    response = engine.ask(ANSWERED, 5)
    assert not response.abstained
    top = response.answers[0]
    seconds = _ask(page, ANSWERED)
    print(f"\nanswer visible {seconds:.2f} s after Enter")
    reply = _last_reply(page)
    assert reply.locator("blockquote.qa-quote").inner_text().strip() == f"「{top.text}」"
    assert app.citation(top.passage) in reply.locator(".qa-cite").inner_text()
    assert reply.locator(".qa-source mark").first.inner_text() == top.text
    assert reply.locator(".qa-source .qa-passage").inner_text() == top.passage.text
    # the other answers and related passages, each with its citation, fold away
    assert reply.locator("details").count() == len(response.answers) - 1 + len(
        [h for h in response.related if h.passage.id not in {a.passage.id for a in response.answers}]
    )
    if len(response.answers) > 1:
        assert app.citation(response.answers[1].passage) in reply.locator("details summary").first.inner_text()
    # the user's question is echoed as written
    assert page.locator("#qa-chat").get_by_text(ANSWERED, exact=True).count() >= 1
    # the citation box holds the top answer's citation, and its copy button copies it
    citation_box = page.locator("#qa-citation textarea")
    assert citation_box.input_value() == app.citation_to_copy(top)
    page.locator("#qa-citation button[aria-label*='opy'], #qa-citation button[title*='opy']").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == app.citation_to_copy(top)
    assert seconds < 30
    # the screenshot in the README: the question and the top of its answer
    page.locator("#qa-chat [role=log]").evaluate("log => { log.scrollTop = 0; }")
    page.locator("#qa-question textarea").blur()
    # docs/screenshot.png is refreshed on request only, so a test run leaves the tree clean
    target = SCREENSHOT if os.environ.get("QA_UPDATE_SCREENSHOT") == "1" else tmp_path / "screenshot.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000


@pytest.mark.browser
@needs_chromium
def test_an_abstention_says_so_and_a_follow_up_says_it_stands_alone(page, abstaining):
    first, second = OUT_OF_SCOPE
    _ask(page, first)
    reply = _last_reply(page)
    assert "文件中没有找到能够回答这个问题的内容" in reply.inner_text()
    assert reply.locator("blockquote").count() == 0 and reply.locator("details").count() >= 1
    assert "每个问题都单独回答" not in reply.inner_text()  # the first question is no follow-up
    assert page.locator("#qa-citation textarea").input_value() == ""
    _ask(page, second)
    assert "每个问题都单独回答" in _last_reply(page).inner_text()


@pytest.mark.browser
@needs_chromium
def test_markup_in_a_question_is_shown_as_text_never_run(page):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> **粗体**"
    _ask(page, hostile)
    chat = page.locator("#qa-chat")
    assert chat.get_by_text(hostile, exact=True).count() == 1
    assert chat.locator("script").count() == 0 and chat.locator("img[src='x']").count() == 0
    assert chat.locator("strong", has_text="粗体").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []


@pytest.mark.browser
@needs_chromium
def test_empty_long_and_bad_inputs_get_clear_replies(page):
    box = page.locator("#qa-question textarea")
    box.fill("   ")
    box.press("Enter")
    _bot_messages(page).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "请输入一个问题" in _last_reply(page).inner_text()
    _ask(page, "安理会" * 1000)
    assert f"最多 {MAX_QUESTION_CHARS} 个" in _last_reply(page).inner_text()
    page.locator("#qa-from input, #qa-from textarea").first.fill("2020/01/01")
    _ask(page, ANSWERED)
    assert "YYYY-MM-DD" in _last_reply(page).inner_text()


@pytest.mark.browser
@needs_chromium
def test_the_letter_and_date_filters_restrict_every_citation(page, engine):
    albania = next(l for l in engine.letters if l.senders == ("阿尔巴尼亚",))
    page.locator("#qa-letters input").click()
    page.get_by_role("option", name=app.letter_label(albania)).click()
    page.locator("#qa-question textarea").click()
    _ask(page, "执笔方制度有哪些问题？")
    citations = _last_reply(page).locator(".qa-cite, details summary").all_inner_texts()
    assert citations and all(f"《{albania.title}》" in c for c in citations)
    page.locator("#qa-letters button[aria-label*='emove'], #qa-letters .token-remove").first.click()
    page.locator("#qa-from input, #qa-from textarea").first.fill("2024-01-01")
    page.locator("#qa-to input, #qa-to textarea").first.fill("2024-12-31")
    _ask(page, "执笔方制度有哪些问题？")
    citations = _last_reply(page).locator(".qa-cite, details summary").all_inner_texts()
    assert citations and all("（2024-03-01）" in c for c in citations)


@pytest.mark.browser
@needs_chromium
def test_an_example_question_runs_when_clicked(page):
    page.locator("#qa-chat").get_by_text("执笔方制度有哪些问题？").first.click()
    _bot_messages(page).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "执笔方制度有哪些问题？" in page.locator("#qa-chat").inner_text()


@pytest.mark.browser
@needs_chromium
def test_the_letters_tab_lists_the_five_letters(page, engine):
    page.get_by_role("tab", name="信件列表").click()
    table = page.locator("#qa-letter-table")
    table.wait_for()
    text = table.inner_text()
    assert len(engine.letters) == 5
    for letter in engine.letters:
        assert letter.date.isoformat() in text and letter.source in text
        assert "、".join(letter.senders) in text


def test_the_ask_endpoint_returns_one_line_of_qa_ask_json(served, engine):
    from gradio_client import Client

    client = Client(served[0], verbose=False)
    record = client.predict(ANSWERED, 3, api_name="/ask")
    assert record == response_record(engine.ask(ANSWERED, 3))
    assert set(record) == {"question", "abstained", "message", "answers"}
    assert isinstance(record["question"], str) and isinstance(record["abstained"], bool) and isinstance(record["message"], str)
    assert 1 <= len(record["answers"]) <= 3
    types = {"text": str, "score": float, "source": str, "letter": str, "date": str, "paragraph": str, "citation": str, "passage_id": str, "passage": str, "start": int, "end": int}
    for answer in record["answers"]:
        assert set(answer) == set(types) | {"symbol", "short", "short_start", "short_end"}
        assert all(type(answer[key]) is kind for key, kind in types.items())
        assert answer["passage"][answer["start"] : answer["end"]] == answer["text"]
        if answer["short"] is not None:
            assert answer["passage"][answer["short_start"] : answer["short_end"]] == answer["short"]
        dt.date.fromisoformat(answer["date"])


def test_the_ask_endpoint_reports_an_abstention(served, abstaining):
    from gradio_client import Client

    record = Client(served[0], verbose=False).predict(OUT_OF_SCOPE[0], 5, api_name="/ask")
    assert record == response_record(abstaining.ask(OUT_OF_SCOPE[0], 5))
    assert record["abstained"] is True and record["message"]


def test_the_ask_endpoint_refuses_bad_questions_with_a_message(served):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(served[0], verbose=False)
    with pytest.raises(AppError, match="the question is empty"):
        client.predict("  ", 5, api_name="/ask")
    with pytest.raises(AppError, match=f"at most {MAX_QUESTION_CHARS}"):
        client.predict("问" * 3000, 5, api_name="/ask")
    with pytest.raises(AppError, match="between 1 and"):
        client.predict("安理会", 0, api_name="/ask")


def test_several_users_at_once_get_the_same_answers_as_one_at_a_time(served, engine):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    questions = list(app.EXAMPLES) + [ANSWERED, "安理会成员如何看待新闻谈话？"]
    expected = [response_record(engine.ask(q, 5)) for q in questions]

    def ask(question):
        return Client(served[0], verbose=False).predict(question, 5, api_name="/ask")

    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        assert list(pool.map(ask, questions)) == expected


def _ask_over_http(url: str, question: str, k) -> tuple[str, dict | str]:
    """(event, data) of one /ask call as any HTTP client makes it: JSON with \\u escapes, which
    can carry lone surrogates (gradio_client cannot send them: it encodes its JSON as UTF-8)."""
    import json

    import httpx

    body = json.dumps({"data": [question, k]})
    called = httpx.post(f"{url}gradio_api/call/ask", content=body, headers={"content-type": "application/json"}, timeout=60)
    stream = httpx.get(f"{url}gradio_api/call/ask/{called.json()['event_id']}", timeout=120).text
    event, data = None, None
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event in ("complete", "error"):
            data = json.loads(line.removeprefix("data: "))
    return event, data


def test_the_ask_endpoint_refuses_text_that_is_not_valid_unicode_and_stays_up(served, engine, caplog):
    for question, shown in (("\udcff\udcfe安理会？", "\\xff\\xfe安理会？"), ("安理会\ud800通过了几项决议？", "安理会\\ud800通过了")):
        with caplog.at_level("ERROR"):
            event, data = _ask_over_http(served[0], question, 5)
        assert event == "error" and "not valid" in data["error"] and shown in data["error"], data
    assert not [r for r in caplog.records if r.exc_info], "no server traceback"
    assert _ask_over_http(served[0], ANSWERED, 3) == ("complete", [response_record(engine.ask(ANSWERED, 3))])


@pytest.mark.parametrize("k", [2.5, "2.5", "zwei", 51])
def test_the_ask_endpoint_takes_k_as_a_whole_number_from_1_to_50(served, k):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="k must be a whole number between 1 and 50"):
        Client(served[0], verbose=False).predict(ANSWERED, k, api_name="/ask")


def test_zero_width_characters_reach_the_chat_cleaned(engine):
    hidden = ANSWERED[:3] + "\u200b\u2060" + ANSWERED[3:]
    assert app.chat_turn(engine, hidden, 5, app.make_filters([], "", ""), follow_up=False) == app.chat_turn(
        engine, ANSWERED, 5, app.make_filters([], "", ""), follow_up=False
    )
    empty, _ = app.chat_turn(engine, "\u200b\ufeff", 5, app.make_filters([], "", ""), follow_up=False)
    assert app.EMPTY_REPLY in html.unescape(empty)


def test_the_chat_citation_names_the_symbol_when_the_cover_gives_one(all_passages):
    import dataclasses

    passage = all_passages[0]
    assert " · None" not in app.citation(passage) and passage.letter_symbol is None
    cited = app.citation(dataclasses.replace(passage, letter_symbol="S/2020/186"))
    assert "S/2020/186" in cited and cited.startswith(f"《{passage.letter_title}》")
