"""Each shipped letter re-laid out in every form users have (PDF, Word, text copied from a PDF,
other numbering), parsed back: passages reproduced / total per letter and form, and the PDF
libraries' speed on these letters.

    python scripts/bench_forms.py            # the table of passages reproduced (id, label, section,
                                             # text), and of passage texts reproduced labels aside
    python scripts/bench_forms.py --pdf      # also pages/s and fidelity of pypdfium2 (chosen), pypdf
                                             # (and pdfplumber when importable)

The forms come from `tests/letter_forms.py`; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.corpus import load_letter  # noqa: E402
from tests.letter_forms import FIX_FORMS, FORMS, HELD_OUT_FORMS, NEW_FORMS, SCRIPT_FORMS, UNSEEN_FORMS, normalise_space, traditional, write_form  # noqa: E402


def passage_key(passage) -> tuple:
    return (passage.id.split("/", 1)[1], passage.label, passage.section, normalise_space(passage.text))


def reproduced(expected, parsed) -> int:
    got = {passage_key(p) for p in parsed.passages}
    return sum(passage_key(p) in got for p in expected.passages)


def texts_reproduced(expected, parsed) -> int:
    """Passages whose part and text come back, whatever their label and section: one paragraph
    joined or split wrongly costs one or two here, but shifts every ordinal label (`p7`) after it."""
    got = Counter((p.part, normalise_space(p.text)) for p in parsed.passages)
    wanted = Counter((p.part, normalise_space(p.text)) for p in expected.passages)
    return sum((got & wanted).values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdf", action="store_true", help="time the PDF libraries on the generated PDFs")
    parser.add_argument("--forms", nargs="+", help="only these forms")
    args = parser.parse_args()
    letters = sorted((ROOT / "corpus").glob("*.txt"))
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'form':16}" + "".join(f"{p.name[:3]:>8}" for p in letters) + f"{'all':>10}{'texts':>10}")
        pdfs = []
        for form in args.forms or FORMS + NEW_FORMS + HELD_OUT_FORMS + FIX_FORMS + UNSEEN_FORMS + SCRIPT_FORMS:
            cells, hit, texts, total = [], 0, 0, 0
            for source in letters:
                expected = load_letter(source)
                if form in SCRIPT_FORMS:  # the same passages, in traditional script
                    expected = replace(expected, passages=tuple(replace(p, text=traditional(p.text), section=tuple(map(traditional, p.section))) for p in expected.passages))
                path = write_form(source, form, Path(folder) / form)
                if form == "pdf":
                    pdfs.append(path)
                try:
                    parsed = load_letter(path)
                    n, t = reproduced(expected, parsed), texts_reproduced(expected, parsed)
                except Exception as error:  # a refused letter reproduces nothing
                    print(f"  {source.name} as {form}: {error}", file=sys.stderr)
                    n = t = 0
                cells.append(f"{n}/{len(expected.passages)}")
                hit += n
                texts += t
                total += len(expected.passages)
            print(f"{form:16}" + "".join(f"{c:>8}" for c in cells) + f"{f'{hit}/{total}':>10}{f'{texts}/{total}':>10}")
        if args.pdf:
            time_pdf_libraries(pdfs)
    return 0


def time_pdf_libraries(pdfs: list[Path], rounds: int = 5) -> None:
    """Pages per second of each library's text extraction (interleaved rounds, so they share
    the machine's noise), and fidelity: passages reproduced when its text is parsed."""
    import pypdf
    import pypdfium2 as pdfium

    from qa.parse import parse_document
    from qa.readers.pdf import PdfReader
    from qa.readers.text import text_document

    def pdfium_text(path: Path) -> list[str]:
        pdf = pdfium.PdfDocument(str(path))
        pages = [page.get_textpage().get_text_range() for page in pdf]
        pdf.close()
        return pages

    def pypdf_text(path: Path) -> list[str]:
        return [page.extract_text() for page in pypdf.PdfReader(str(path)).pages]

    def pypdf_layout(path: Path) -> list[str]:
        return [page.extract_text(extraction_mode="layout") for page in pypdf.PdfReader(str(path)).pages]

    candidates = {
        "pypdfium2 + char boxes (qa)": None,
        "pypdfium2 text": pdfium_text,
        "pypdf text": pypdf_text,
        "pypdf layout mode": pypdf_layout,
    }
    try:  # not a dependency: measured when importable (pip install --target DIR pdfplumber; PYTHONPATH=DIR)
        import pdfplumber

        def plumber_text(path: Path, layout: bool = False) -> list[str]:
            with pdfplumber.open(str(path)) as pdf:
                return [page.extract_text(layout=layout) for page in pdf.pages]

        candidates["pdfplumber text"] = plumber_text
        candidates["pdfplumber layout"] = lambda path: plumber_text(path, layout=True)
    except ImportError:
        pass
    seconds = dict.fromkeys(candidates, 0.0)
    documents: dict[str, list] = {}
    pages = sum(len(pdfium.PdfDocument(str(path))) for path in pdfs)
    for _ in range(rounds):
        for name, extract in candidates.items():
            began = time.perf_counter()
            if extract is None:
                documents[name] = [PdfReader().read(path) for path in pdfs]
            else:
                documents[name] = [text_document("\f".join(extract(path))) for path in pdfs]
            seconds[name] += time.perf_counter() - began
    print(f"\nPDF text on the {len(pdfs)} generated letters ({pages} pages), {rounds} interleaved rounds; passages reproduced when parsed:")
    expected = [load_letter(ROOT / "corpus" / f"{path.stem}.txt") for path in pdfs]
    for name in candidates:
        hit = total = 0
        for path, document, want in zip(pdfs, documents[name], expected):
            try:
                hit += reproduced(want, parse_document(document, path.name))
            except Exception:
                pass
            total += len(want.passages)
        print(f"  {name:30} {pages * rounds / seconds[name]:8.1f} pages/s   {hit}/{total} passages")


if __name__ == "__main__":
    raise SystemExit(main())
