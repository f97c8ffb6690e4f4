"""The web chat: a thin Gradio layer over `qa.engine` (no retrieval logic here).

    python app.py                              # http://127.0.0.1:7860
    python app.py --host 0.0.0.0 --port 8080   # or QA_HOST / QA_PORT
    python app.py --allow-upload               # a tab that adds letters to the corpus

The model and index are loaded once at start (the index is built on first run);
a new index made by `qa add`/`qa remove`/`qa index` is picked up at the next question.
Every question is answered on its own: the chat history is shown, never used to
rewrite a follow-up. The same answers are served as JSON by the API endpoint
`/ask` (question, k) -> one line of `qa ask --json`:

    from gradio_client import Client
    Client("http://127.0.0.1:7860").predict("执笔方制度有哪些问题？", 5, api_name="/ask")
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import gradio as gr

from qa.admin import add_letters
from qa.cli import response_record
from qa.config import Settings
from qa.documents import PART_NAMES, Letter, Passage
from qa.engine import Engine, Filters
from qa.errors import describe
from qa.questions import (
    MAX_QUESTION_CHARS,
    EmptyQuestion,
    InvalidText,
    NoLetterLeft,
    NoWords,
    QuestionError,
    QuestionTooLong,
    ReversedDates,
    check_filters,
    check_k,
    check_question,
    printable,
)
from qa.live import LiveEngine
from qa.results import Answer, Hit, Response

log = logging.getLogger("qa.app")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
CONCURRENCY = 4  # questions answered at the same time (the queue holds the rest)
MAX_K = 10  # the slider's top; the /ask endpoint allows what `qa ask -k` allows (qa.questions.check_k)
ECHO_CHARS = 300  # an over-long question is echoed up to this many characters
EXAMPLES = (
    "执笔方制度有哪些问题？",
    "比利时担任主席期间安理会通过了几项决议？",
    "What is note S/2017/507 about?",
    "2023年安理會派出了幾支實地訪問團？",
)
UPLOAD_TYPES = (".pdf", ".docx", ".txt")
EMPTY_REPLY = "请输入一个问题。"
ERROR_REPLY = "抱歉，回答这个问题时出错了（错误已记入服务器日志）。请重试，或换个问法。"
FOLLOW_UP_NOTE = (
    "每个问题都单独回答，不参考前面的对话。如果这是追问，请把问题说完整再问一次，"
    "例如把「那2019年呢？」改成「2019年安理会通过了几项决议？」。"
)
FILTERED_NOTE = "只在所选的信件和日期范围内查找；放宽筛选条件也许能找到答案。"

CSS = """
.qa-reply blockquote.qa-quote { margin: 0 0 .25em 0; padding: .35em .8em; border-left: 4px solid #d97706;
  background: rgba(217, 119, 6, .08); font-size: 1.08em; }
.qa-reply .qa-cite { margin: 0 0 .6em 0; font-size: .92em; }
.qa-reply .qa-source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .4em .7em;
  margin-bottom: .6em; }
.qa-reply .qa-label { font-size: .8em; color: var(--body-text-color-subdued); margin: 0 0 .2em 0; }
.qa-reply mark { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.qa-reply mark.qa-short { font-weight: 700; }
.qa-reply details { margin: .25em 0; }
.qa-reply details > summary { cursor: pointer; }
.qa-reply details p { margin: .3em 0 .3em 1em; }
.qa-reply .qa-abstain { font-weight: 600; }
.qa-reply .qa-note { color: var(--body-text-color-subdued); font-size: .92em; }
"""


class InputError(ValueError):
    """A filter or question the chat cannot use as given; the message is shown to the user."""


# --- pure functions: Response -> HTML (what the chat shows) ---------------------------------

# Every character that HTML or Markdown could read as markup becomes an entity, so text from
# the documents or from the user is shown exactly as typed (the chat renders Markdown + HTML).
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
    | {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$=:"}
)


def escape_text(text: str) -> str:
    """`text` as inert HTML: markup characters as entities, line breaks as <br>.

    >>> escape_text("<b>*1*</b>")
    '&lt;b&gt;&#42;1&#42;&lt;/b&gt;'
    """
    return str(text).translate(_ESCAPES).replace("\r\n", "\n").replace("\n", "<br>")


def highlight(text: str, start: int, end: int, mark: str = "<mark>") -> str:
    """`text` as HTML with text[start:end] in <mark> (or the `mark` tag given); every piece escaped.

    >>> highlight("a<b>c", 1, 4)
    'a<mark>&lt;b&gt;</mark>c'
    """
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span {start}:{end} is outside a text of {len(text)} characters")
    return f"{escape_text(text[:start])}{mark}{escape_text(text[start:end])}</mark>{escape_text(text[end:])}"


def quotation_html(answer: Answer) -> str:
    """The quoted answer, its short answer (a count, date, name …) marked inside it.

    >>> p = Passage("x.txt", "信", dt.date(2023, 1, 1), "annex", (), "p1", "paragraph", "安理会派出了一支访问团。")
    >>> quotation_html(Answer(p.text, 0, 12, 1.0, p, 6, 8))
    '安理会派出了<mark class="qa-short">一支</mark>访问团。'
    """
    if answer.short_start is None:
        return escape_text(answer.text)
    return highlight(answer.text, answer.short_start - answer.start, answer.short_end - answer.start, '<mark class="qa-short">')


def citation(passage: Passage) -> str:
    """《letter title》（date）· symbol · part · paragraph, as plain text (no symbol when the
    letter's cover gives none)."""
    symbol = f"· {passage.letter_symbol} " if passage.letter_symbol else ""
    return f"《{passage.letter_title}》（{passage.date.isoformat()}）{symbol}· {PART_NAMES[passage.part]} · {passage.paragraph}"


def citation_to_copy(answer: Answer) -> str:
    """The quoted answer with its citation and passage id, for pasting elsewhere."""
    return f"「{answer.text}」——{citation(answer.passage)} [{answer.passage.id}]"


def _section(passage: Passage) -> str:
    path = " > ".join(passage.section)
    return f'<p class="qa-label">{escape_text(path)}</p>' if path else ""


def answer_html(answer: Answer) -> str:
    """The top answer: the quotation, its citation, and the source paragraph with the span marked."""
    p = answer.passage
    return "\n".join(
        (
            f'<blockquote class="qa-quote">「{quotation_html(answer)}」</blockquote>',
            f'<p class="qa-cite">—— {escape_text(citation(p))}</p>',
            '<div class="qa-source">',
            f'<p class="qa-label">原文 · {escape_text(p.paragraph)}{" · " + escape_text(" > ".join(p.section)) if p.section else ""}</p>',
            f'<p class="qa-passage">{highlight(p.text, answer.start, answer.end)}</p>',
            "</div>",
        )
    )


def other_answer_html(answer: Answer) -> str:
    p = answer.passage
    return (
        f"<details><summary>「{escape_text(answer.text)}」 —— {escape_text(citation(p))}</summary>"
        f'{_section(p)}<p class="qa-passage">{highlight(p.text, answer.start, answer.end)}</p></details>'
    )


def related_html(hit: Hit) -> str:
    p = hit.passage
    return f'<details><summary>{escape_text(citation(p))}</summary>{_section(p)}<p class="qa-passage">{escape_text(p.text)}</p></details>'


def reply_html(response: Response, *, follow_up: bool = False, filtered: bool = False) -> str:
    """The chat's reply to one response (one HTML block, no blank lines, so Markdown leaves it alone).

    follow_up: there were earlier questions in the chat, so an abstention says that each
    question is answered on its own; filtered: retrieval was restricted by the filters.
    """
    parts = ['<div class="qa-reply">']
    if response.abstained or not response.answers:
        parts.append(f'<p class="qa-abstain">{escape_text(response.message or "文件中没有找到能够回答这个问题的内容。")}</p>')
        if follow_up:
            parts.append(f'<p class="qa-note">{escape_text(FOLLOW_UP_NOTE)}</p>')
        if filtered:
            parts.append(f'<p class="qa-note">{escape_text(FILTERED_NOTE)}</p>')
        if response.related:
            parts.append('<p class="qa-label">最接近的段落（仅供参考）</p>')
            parts.extend(related_html(h) for h in response.related)
    else:
        top, *others = response.answers
        parts.append(answer_html(top))
        if others:
            parts.append(f'<p class="qa-label">其他答案（{len(others)}）</p>')
            parts.extend(other_answer_html(a) for a in others)
        quoted = {a.passage.id for a in response.answers}
        related = [h for h in response.related if h.passage.id not in quoted]
        if related:
            parts.append(f'<p class="qa-label">相关段落（{len(related)}）</p>')
            parts.extend(related_html(h) for h in related)
    parts.append("</div>")
    return "\n".join(parts)


def question_html(question: str) -> str:
    """The user's question echoed as text (never as markup); an over-long one is cut short."""
    if len(question) > ECHO_CHARS:
        return f"{escape_text(question[:ECHO_CHARS])}…（共 {len(question)} 个字符）"
    return escape_text(question)


def message_html(text: str) -> str:
    return f'<div class="qa-reply"><p class="qa-note">{escape_text(text)}</p></div>'


# --- inputs ----------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str | None, name: str) -> dt.date | None:
    """A YYYY-MM-DD date box: None when empty, InputError (in words) when not a date."""
    text = (text or "").strip()
    if not text:
        return None
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(f"{name}「{text}」不是有效的日期，请按 YYYY-MM-DD 填写，例如 2020-11-09。")


def make_filters(sources: Sequence[str] | None, date_from: str | None, date_to: str | None, letters: Sequence[Letter] = ()) -> Filters:
    """The filter controls as `Filters`; InputError (in words) for a bad date, a reversed
    range, or (given the corpus's letters) a choice that leaves no letter."""
    filters = Filters(tuple(sources or ()), parse_date(date_from, "起始日期"), parse_date(date_to, "截止日期"))
    try:
        return check_filters(filters, letters)  # the rule `qa ask --from/--to/--letter` follows
    except ReversedDates as error:
        raise InputError(f"起始日期 {error.start.isoformat()} 晚于截止日期 {error.end.isoformat()}。") from None
    except NoLetterLeft:
        raise InputError("所选的信件和日期范围内没有任何信件，请放宽筛选条件。") from None


def letter_label(letter: Letter) -> str:
    return f"{letter.date.isoformat()} · {'、'.join(letter.senders)} → {letter.addressee}"


def letter_rows(letters: Sequence[Letter]) -> list[list[str]]:
    return [[l.date.isoformat(), "、".join(l.senders), l.addressee, l.title, l.source] for l in letters]


# --- the app ---------------------------------------------------------------------------------


def question_reply(error: QuestionError) -> str:
    """Why a question cannot be asked, in the chat's words."""
    if isinstance(error, EmptyQuestion):
        return EMPTY_REPLY
    if isinstance(error, QuestionTooLong):
        return f"问题太长：共 {error.length} 个字符，最多 {MAX_QUESTION_CHARS} 个。请缩短后再问。"
    if isinstance(error, NoWords):
        return "问题里只有标点或符号，没有文字。请用文字提问。"
    if isinstance(error, InvalidText):
        return f"问题里有 {error.count} 个无法识别的字符（不是有效的 Unicode 文本），请删去后再问。"
    return str(error)


def chat_turn(engine: Engine, question: str, k: int, filters: Filters, *, follow_up: bool) -> tuple[str, str]:
    """(reply HTML, citation to copy) for one question; never raises."""
    try:
        response = engine.ask(question, k, filters=filters)
    except QuestionError as error:
        return message_html(question_reply(error)), ""
    except Exception:
        log.exception("question failed: %r", printable(question[:200]))
        return message_html(ERROR_REPLY), ""
    reply = reply_html(response, follow_up=follow_up, filtered=filters.active)
    copy = "" if response.abstained or not response.answers else citation_to_copy(response.answers[0])
    return reply, copy


def letter_choices(letters: Sequence[Letter]) -> list[tuple[str, str]]:
    """(label, source) of each letter, as the letter filter offers them."""
    return [(letter_label(l), l.source) for l in letters]


def letter_controls(letters: Sequence[Letter]) -> tuple[dict, list[list[str]]]:
    """(the letter filter's choices, the letters tab's rows) for these letters, by date."""
    ordered = sorted(letters, key=lambda l: (l.date, l.source))
    return gr.update(choices=letter_choices(ordered)), letter_rows(ordered)


def add_uploaded(live: LiveEngine, paths: Sequence[Path]) -> tuple[str, list[Letter]]:
    """Add uploaded letter files to the corpus and the index (as `qa add`);
    (status as HTML, the letters now, by date). Never raises."""
    try:
        result = add_letters(live.settings, paths, embedder=live.current.embedder, progress=True)
    except Exception as error:  # an unwritable index, a full disk: say so, stay up
        log.exception("upload failed")
        return escape_text(f"添加失败：{describe(error)}"), sorted(live.current.letters, key=lambda l: (l.date, l.source))
    lines = [f"已加入：{name}" for name in result.added] + [f"已在语料中：{name}" for name in result.present] + [f"未加入：{why}" for why in result.refused] + ([f"索引未更新：{result.index_error}"] if result.index_error else [])
    return escape_text("\n".join(lines)), sorted(live.current.letters, key=lambda l: (l.date, l.source))


def _api_error(message: str) -> gr.Error:
    """An error the API client sees as this message (no traceback on either side)."""
    return gr.Error(message, print_exception=False)


def build_app(engine: Engine | LiveEngine, *, allow_upload: bool = False) -> gr.Blocks:
    """The chat around an already opened engine (launch it with `launch`). A
    `LiveEngine` is followed: a new index on disk is used from the next question.
    `allow_upload` adds a tab that adds letters to the corpus (off by default:
    an open chat must not let anyone change the corpus)."""
    live = engine if isinstance(engine, LiveEngine) else LiveEngine(engine)

    def respond(question, history, sources, date_from, date_to, k):
        history = list(history or [])
        follow_up = any(m.get("role") == "user" for m in history)
        question = str(question or "")
        try:
            question = check_question(question)
        except EmptyQuestion:
            yield history + [{"role": "assistant", "content": message_html(EMPTY_REPLY)}], "", gr.skip()
            return
        except QuestionError:
            pass  # echoed, then chat_turn replies why
        history.append({"role": "user", "content": question_html(printable(question))})
        yield history, "", gr.skip()
        try:
            filters = make_filters(sources, date_from, date_to, live.current.letters)
            k = check_k(k)
        except (InputError, ValueError) as error:
            yield history + [{"role": "assistant", "content": message_html(str(error))}], "", gr.skip()
            return
        reply, copy = chat_turn(live.current, question, k, filters, follow_up=follow_up)
        yield history + [{"role": "assistant", "content": reply}], "", copy

    def pick_example(example: gr.SelectData) -> str:
        return example.value["text"]

    def ask(question: str, k: int = 5) -> dict:
        """Answer one question; returns one line of `qa ask --json`:
        {question, abstained, message, answers: [{text, score, source, letter, date, paragraph,
        passage_id, passage, start, end, short, short_start, short_end}]} with passage[start:end] == text
        and passage[short_start:short_end] == short (null where no short answer is asked for)."""
        try:
            k = check_k(k)
        except ValueError as error:
            raise _api_error(str(error)) from None
        try:
            return response_record(live.current.ask(str(question or ""), k))
        except QuestionError as error:
            raise _api_error(str(error)) from None
        except Exception:
            log.exception("API question failed: %r", printable(str(question)[:200]))
            raise _api_error("internal error while answering; see the server log") from None

    def upload(paths, progress=gr.Progress(track_tqdm=True)):
        """The upload tab's handler; the progress bar follows the encoding (tqdm)."""
        if not paths:
            return "请先选择信件文件。", gr.skip(), gr.skip()
        progress(0, desc="解析并编码新信件…")
        status, now = add_uploaded(live, [Path(p) for p in paths])
        return status, *letter_controls(now)

    def current_letters():
        """The letter controls as the index on disk has them now: a page opened, or the letters
        tab shown, after a letter was added elsewhere (another chat, `qa add`) lists it."""
        return letter_controls(live.current.letters)

    letters = sorted(live.current.letters, key=lambda l: (l.date, l.source))
    with gr.Blocks(title="安理会信件问答", analytics_enabled=False) as demo:
        gr.Markdown(
            "## 安理会信件问答\n"
            "答案逐字引自语料中的联合国安理会信件，并注明出处（信件、部分、段落）；文件中没有答案时会直说。"
            "每个问题单独回答，追问请把问题说完整。"
        )
        with gr.Tab("问答"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="对话",
                        show_label=False,
                        height=640,
                        examples=[{"text": q} for q in EXAMPLES],
                        placeholder="问一个关于这些信件的问题，或点一个示例：",
                        sanitize_html=True,
                        render_markdown=True,
                        allow_tags=False,
                        latex_delimiters=[],
                        buttons=[],  # a message's copy would be its HTML; citations are copied below
                        feedback_options=None,
                        elem_id="qa-chat",
                    )
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="输入问题，按回车提问",
                        submit_btn="提问",
                        lines=1,
                        max_lines=4,
                        elem_id="qa-question",
                    )
                    cite = gr.Textbox(
                        label="引用（最新答案；点右上角按钮复制）",
                        buttons=["copy"],
                        interactive=False,
                        lines=2,
                        elem_id="qa-citation",
                    )
                    gr.ClearButton([chatbot, question, cite], value="清空对话")
                with gr.Column(scale=1, min_width=260):
                    sources = gr.Dropdown(
                        choices=letter_choices(letters),
                        value=[],
                        multiselect=True,
                        label="只查这些信件（不选则全部）",
                        elem_id="qa-letters",
                    )
                    date_from = gr.Textbox(label="起始日期", placeholder="YYYY-MM-DD", elem_id="qa-from")
                    date_to = gr.Textbox(label="截止日期", placeholder="YYYY-MM-DD", elem_id="qa-to")
                    k = gr.Slider(1, MAX_K, value=5, step=1, label="答案数", elem_id="qa-k")
        with gr.Tab("信件列表", elem_id="qa-letters-tab") as letters_tab:
            letter_table = gr.Dataframe(
                value=letter_rows(letters),
                headers=["日期", "发信国", "收信人", "标题", "文件"],
                interactive=False,
                wrap=True,
                elem_id="qa-letter-table",
            )

        inputs = [question, chatbot, sources, date_from, date_to, k]
        outputs = [chatbot, question, cite]
        question.submit(respond, inputs, outputs, api_visibility="private")
        chatbot.example_select(pick_example, None, question, api_visibility="private", queue=False).then(
            respond, inputs, outputs, api_visibility="private"
        )
        if allow_upload and live.settings is not None:
            with gr.Tab("添加信件", elem_id="qa-upload-tab"):
                files = gr.File(label="信件文件（.pdf / .docx / .txt）", file_count="multiple", file_types=list(UPLOAD_TYPES), type="filepath", elem_id="qa-upload")
                add_button = gr.Button("加入语料并建立索引", elem_id="qa-upload-button")
                upload_status = gr.Markdown(elem_id="qa-upload-status")
            add_button.click(upload, files, [upload_status, sources, letter_table], api_visibility="private", concurrency_limit=1)
        for shown in (demo.load, letters_tab.select):
            shown(current_letters, None, [sources, letter_table], api_visibility="private", queue=False)
        gr.api(ask, api_name="ask")
    return demo


def launch(demo: gr.Blocks, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **kwargs):
    """Queue (several users at once) and serve; kwargs go to `Blocks.launch`."""
    demo.queue(default_concurrency_limit=CONCURRENCY)
    return demo.launch(server_name=host, server_port=port, css=CSS, **kwargs)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="The qa web chat (Gradio).")
    parser.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST}, or $QA_HOST)")
    parser.add_argument("--port", type=int, help=f"port (default {DEFAULT_PORT}, or $QA_PORT)")
    parser.add_argument("--allow-upload", action="store_true", help="let users of the chat add letters to the corpus (off by default)")
    return parser


def address(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> tuple[str, int]:
    """(host, port): the flags, else QA_HOST / QA_PORT, else 127.0.0.1:7860."""
    parser = _parser()
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    host = args.host or environ.get("QA_HOST") or DEFAULT_HOST
    port = args.port
    if port is None:
        try:
            port = int(environ.get("QA_PORT") or DEFAULT_PORT)
        except ValueError:
            parser.error(f"QA_PORT is not a port number: {environ['QA_PORT']!r}")
    if not 0 < port < 65536:
        parser.error(f"not a port number: {port}")
    return host, port


def main(argv: Sequence[str] | None = None) -> int:
    host, port = address(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up requests
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG
    began = time.perf_counter()
    print("qa: loading the model and the index (built on first run)…", file=sys.stderr, flush=True)
    try:
        settings = Settings.from_env()
        engine = Engine.open(settings, progress=True)
        engine.ask(EXAMPLES[0], 1)  # warm up: the tokenizer and model load lazily
    except Exception as error:  # a broken corpus or a missing model: say so, no traceback
        print(f"qa: cannot start: {describe(error)}", file=sys.stderr)
        return 1
    demo = build_app(LiveEngine(engine, settings), allow_upload=_parser().parse_args(argv).allow_upload)
    try:
        _, url, _ = launch(demo, host, port, prevent_thread_lock=True)
    except OSError as error:  # the port is taken, or the address is not this machine's
        print(f"qa: cannot start: {describe(error)}", file=sys.stderr)
        return 1
    print(f"qa: {len(engine.passages)} passages from {len(engine.letters)} letters; ready at {url} in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    demo.block_thread()  # until Ctrl-C
    return 0


if __name__ == "__main__":
    sys.exit(main())
