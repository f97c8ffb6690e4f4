"""Each shipped letter re-laid out in every form users have (PDF, Word, text copied from a PDF,
other numbering), parsed back: passages reproduced / total per letter and form, and the PDF
libraries' speed on these letters.

    python scripts/bench_forms.py            # the table of passages reproduced
    python scripts/bench_forms.py --pdf      # also pages/s of pypdfium2 (chosen) and pypdf

The forms come from `tests/letter_forms.py`; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.corpus import load_letter  # noqa: E402
from tests.letter_forms import FORMS, normalise_space, write_form  # noqa: E402


def passage_key(passage) -> tuple:
    return (passage.id.split("/", 1)[1], passage.label, passage.section, normalise_space(passage.text))


def reproduced(expected, parsed) -> int:
    got = {passage_key(p) for p in parsed.passages}
    return sum(passage_key(p) in got for p in expected.passages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdf", action="store_true", help="time the PDF libraries on the generated PDFs")
    args = parser.parse_args()
    letters = sorted((ROOT / "corpus").glob("*.txt"))
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'form':12}" + "".join(f"{p.name[:3]:>10}" for p in letters) + f"{'all':>10}")
        pdfs = []
        for form in FORMS:
            cells, hit, total = [], 0, 0
            for source in letters:
                expected = load_letter(source)
                path = write_form(source, form, Path(folder) / form)
                if form == "pdf":
                    pdfs.append(path)
                try:
                    n = reproduced(expected, load_letter(path))
                except Exception as error:  # a refused letter reproduces nothing
                    print(f"  {source.name} as {form}: {error}", file=sys.stderr)
                    n = 0
                cells.append(f"{n}/{len(expected.passages)}")
                hit += n
                total += len(expected.passages)
            print(f"{form:12}" + "".join(f"{c:>10}" for c in cells) + f"{f'{hit}/{total}':>10}")
        if args.pdf:
            time_pdf_libraries(pdfs)
    return 0


def time_pdf_libraries(pdfs: list[Path], rounds: int = 5) -> None:
    """Pages per second of each library's text extraction, interleaved to share the noise."""
    import pypdf
    import pypdfium2 as pdfium

    from qa.readers.pdf import PdfReader

    def pdfium_text(path: Path) -> int:
        pdf = pdfium.PdfDocument(str(path))
        pages = len(pdf)
        for page in pdf:
            page.get_textpage().get_text_range()
        pdf.close()
        return pages

    def pdfium_reader(path: Path) -> int:
        return max(line.page for line in PdfReader().read(path).lines)

    def pypdf_text(path: Path) -> int:
        reader = pypdf.PdfReader(str(path))
        for page in reader.pages:
            page.extract_text()
        return len(reader.pages)

    def pypdf_positions(path: Path) -> int:
        reader = pypdf.PdfReader(str(path))
        for page in reader.pages:
            page.extract_text(visitor_text=lambda text, cm, tm, font, size: None)
        return len(reader.pages)

    candidates = {"pypdfium2 text": pdfium_text, "pypdfium2 + boxes (qa reader)": pdfium_reader, "pypdf text": pypdf_text, "pypdf + visitor": pypdf_positions}
    seconds = dict.fromkeys(candidates, 0.0)
    pages = dict.fromkeys(candidates, 0)
    for _ in range(rounds):
        for name, run in candidates.items():
            began = time.perf_counter()
            pages[name] += sum(run(path) for path in pdfs)
            seconds[name] += time.perf_counter() - began
    print(f"\nPDF text extraction on the {len(pdfs)} generated letters ({pages['pypdf text'] // rounds} pages), {rounds} interleaved rounds:")
    for name in candidates:
        print(f"  {name:32} {pages[name] / seconds[name]:8.1f} pages/s")


if __name__ == "__main__":
    raise SystemExit(main())
