"""Page layout of the briefings in the LibreOffice PDF (issue 16, GB/T 9704-2012 §7.4–7.5): page
budgets up to the appendix (daily ≤ 4, weekly ≤ 6, monthly ≤ 8) on a day and the hand-written week
of 6 issues and a generated month of 30 (bench/briefing_corpus.py), 本期要情 on page 1, the 版记 on
the last page — an even one — at its foot with the 印发 line, no page number on it nor on a blank
page before it, names never broken across lines, the fonts mapped. Each kind is made and converted
once per test session (module-scoped fixture)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from sqlmodel import Session, SQLModel

from bench.briefing_corpus import load, month, week
from bench.synthetic import synthetic_content
from worker.briefing.build import make_briefing
from worker.briefing.config import load_briefing_config
from worker.briefing.delivery import convert_to_pdf, soffice_binary
from worker.briefing.render import render
from worker.core.db import make_engine
from worker.core.settings import Settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BUDGET = {"daily": 4, "weekly": 6, "monthly": 8}
KINDS = {"daily": date(2024, 12, 24), "weekly": date(2024, 12, 23), "monthly": date(2024, 11, 1)}
WJ = "\u2060"


def _tools() -> None:
    for tool, what in ((soffice_binary(), "LibreOffice (soffice)"), (shutil.which("pdftotext"), "pdftotext")):
        if tool is None:
            if os.environ.get("CI"):
                pytest.fail(f"{what} is required in CI")
            pytest.skip(f"{what} not installed")


class Pdf:
    """A briefing's PDF read back: ``pages`` (text of each page, layout kept), ``words`` (per page:
    (yMin, yMax, word)), ``heights`` (page heights, pt), and the .docx it came from."""

    def __init__(self, docx: Path, pdf: Path):
        self.docx, self.pdf = docx, pdf
        text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                              check=True, timeout=120).stdout.decode("utf-8")
        self.pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
        bbox = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                              check=True, timeout=120).stdout.decode("utf-8")
        self.words, self.heights = [], []
        for page in bbox.split("<page ")[1:]:
            self.heights.append(float(re.match(r'width="[\d.]+" height="([\d.]+)"', page).group(1)))
            self.words.append([(float(a), float(b), w) for a, b, w in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)])

    def page_of(self, needle: str) -> int:
        """1-based number of the first page whose text (spaces removed) contains ``needle``."""
        return next(i for i, p in enumerate(self.pages, 1) if needle in re.sub(r"\s+", "", p))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Pdf]:
    _tools()
    tmp = tmp_path_factory.mktemp("layout")
    engine = make_engine(f"sqlite:///{tmp / 'db.sqlite'}")
    SQLModel.metadata.create_all(engine)
    settings = Settings(var_dir=tmp / "var", templates_dir=ROOT / "templates", config_dir=ROOT / "config")
    settings.ensure_dirs()
    cfg = {**load_briefing_config(ROOT / "config"), "pdf": False}
    out = {}
    with Session(engine, expire_on_commit=False) as s:
        load(s, week())
        load(s, month())
        for kind, day in KINDS.items():
            row = make_briefing(s, kind, day, now=NOW, settings=settings, config=cfg)
            docx = row.path_in(settings.var_dir)
            out[kind] = Pdf(docx, convert_to_pdf(docx))
    engine.dispose()
    # text that ends on an even page (page 2): a blank page 3 comes before the 版记 on page 4
    docx = tmp / "even.docx"
    docx.write_bytes(render(synthetic_content(1, "daily")))
    out["even"] = Pdf(docx, convert_to_pdf(docx))
    return out


@pytest.mark.parametrize("kind", list(KINDS))
def test_page_budget_up_to_the_appendix(pdfs, kind):
    pdf = pdfs[kind]
    if kind == "daily":
        content = max(i for i, p in enumerate(pdf.pages, 1) if re.search(r"—\s*\d+\s*—", p))
    else:
        content = pdf.page_of("附：本期文章目录") - 1
        assert content >= 2
    assert content <= BUDGET[kind], (kind, content)
    assert "本期要情" in re.sub(r"\s+", "", pdf.pages[0])  # what matters, on page 1


@pytest.mark.parametrize("kind", [*KINDS, "even"])
def test_closing_on_the_last_even_page_without_page_number(pdfs, kind):
    pdf = pdfs[kind]
    n = len(pdf.pages)
    assert n % 2 == 0  # the 版记 page is an even page
    last = re.sub(r"\s+", "", pdf.pages[-1])
    assert last.startswith("报：") and "印发" in last and not re.search(r"—\d+—", last)
    assert pdf.page_of("报：全国总工会办公厅") == n  # only there
    if kind in KINDS:  # made with config/briefing.yaml: 联系人/电话 from there
        assert "联系人：陈晓" in last and "电话：0571-85000000" in last
    before = pdf.pages[-2]
    if not before.strip():  # a blank page put before the 版记: no page number either
        assert kind == "even" or pdf.page_of("附：本期文章目录") < n - 1
    else:
        assert re.search(r"—\s*\d+\s*—", before)
    # every other page carries its number
    for i, page in enumerate(pdf.pages[:-1], 1):
        if page.strip():
            assert re.search(rf"—\s*{i}\s*—", page), (kind, i)
    # the 版记 sits at the foot of the page, its printing line lowest (§7.4)
    words = pdf.words[-1]
    printing = next(w for w in words if "印发" in w[2])
    assert printing[1] > pdf.heights[-1] * 0.7
    assert all(w[1] <= printing[1] for w in words)


def test_a_blank_page_is_inserted_when_the_text_ends_on_an_even_page(pdfs):
    blanks = 0
    for pdf in pdfs.values():
        numbered = max(i for i, p in enumerate(pdf.pages, 1) if re.search(r"—\s*\d+\s*—", p))
        blank = [i for i, p in enumerate(pdf.pages, 1) if not p.strip()]
        assert blank == ([numbered + 1] if numbered % 2 == 0 else [])
        assert len(pdf.pages) == numbered + 1 + len(blank)
        blanks += len(blank)
    assert pdfs["even"].pages[2].strip() == "" and len(pdfs["even"].pages) == 4
    assert blanks >= 1


def test_names_never_break_across_lines(pdfs):
    for pdf in (pdfs[k] for k in KINDS):
        doc = Document(pdf.docx)
        names = {n for p in doc.paragraphs if p.style.name == "Briefing Meta"
                 for n in re.findall(rf"[^\s{WJ}；，。](?:{WJ}[^\s{WJ}；，。])+", p.text)}
        lines = [re.sub(r"\s+", "", line) for page in pdf.pages for line in page.splitlines()]
        assert names
        for name in names:
            assert any(name.replace(WJ, "") in line for line in lines), name


def test_masthead_fonts_and_every_entry_in_the_pdf(pdfs):
    pdf = pdfs["weekly"]
    flat = re.sub(r"\s+", "", "".join(pdf.pages))
    assert "工会信息简报" in flat and "总第1期" in flat
    # templates/fonts/fonts.conf maps 仿宋_GB2312/方正小标宋简体 to a serif CJK face and 黑体 to a sans one
    fonts = subprocess.run(["pdffonts", str(pdf.pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Serif(CJK|\s*CJK)", fonts) and re.search(r"Sans(CJK|\s*CJK)|MicroHei", fonts), fonts
    doc = Document(pdf.docx)
    for p in doc.paragraphs:
        if p.style.name in ("Heading 2", "Briefing Contents 2"):
            assert re.sub(r"\s+", "", p.text) in flat, p.text


def test_charts_fit_one_page(pdfs):
    for kind in ("weekly", "monthly"):
        pdf = pdfs[kind]
        first = pdf.page_of("图1各主题文章数") if "图1" in "".join(pdf.pages) else None
        if first is None:
            continue
        last = max(i for i, p in enumerate(pdf.pages, 1) if re.search(r"图\s*\d\s+各", p))
        assert last - first <= 1  # the chart heading, both charts and captions: at most one page
