"""Stage 6: per-article kind, derived titles and dates; the issue date."""

from __future__ import annotations

from collections import Counter
from datetime import date

from worker.intake.reading import date_from_file_name
from worker.parsing.config import parsing_config
from worker.parsing.model import ParsedIssue
from worker.parsing.patterns import _DATE_FULL, _INTERVIEW_A, _INTERVIEW_Q, _LEAD_TIME, _MD, _YEAR
from worker.parsing.sentences import first_sentence


def _derive_title(text: str) -> str:
    """Title made from the first sentence of a headline-less item (简讯): the sentence up to the
    first 。！？, without a leading time phrase (``12月20日，`` / ``日前，``), at most 30 characters."""
    first = first_sentence(text).rstrip("。！？!?”’」』\")）")
    first = _LEAD_TIME.sub("", first.strip()) or first.strip()
    first = first.rstrip("，,；;：: ")
    return first if len(first) <= 30 else first[:29] + "…"



def finish(issue: ParsedIssue, text: str, file_name: str | None) -> None:
    """Last stage: derived titles, kinds (brief, interview, photo), per-article pages and dates,
    and the issue date: the earliest article date (digital-edition footers), else the masthead date
    line, else a date in the file name, else one inferred from the text."""
    issue.explain.sort(key=lambda d: d.line)
    for a in issue.articles:
        if not a.title and not a.kicker and a.paragraphs:
            a.title = _derive_title(a.paragraphs[0])
            a.title_derived = True
            if a.kind == "news":
                a.kind = "brief"
        if a.kind == "news":
            q = sum(1 for p in a.paragraphs if _INTERVIEW_Q.match(p))
            ans = sum(1 for p in a.paragraphs if _INTERVIEW_A.match(p))
            if q >= 2 or (q and ans):
                a.kind = "interview"
            elif a.section in parsing_config().photo_labels and len(a.paragraphs) <= 1:
                a.kind = "photo"
    dated = [a.published_on for a in issue.articles if a.published_on]
    if dated and (issue.issue_date is None or min(dated) < issue.issue_date):
        issue.issue_date, issue.issue_date_source = min(dated), "article_dates"
    if issue.issue_date is None and file_name:
        issue.issue_date = date_from_file_name(file_name)
        if issue.issue_date:
            issue.issue_date_source = "file_name"
    if issue.issue_date is None:
        issue.issue_date = _infer_date(text)
        if issue.issue_date:
            issue.issue_date_source = "inferred"
            issue.warnings.append("issue date inferred from dates in the text")


def _infer_date(text: str) -> date | None:
    """Latest full date (YYYY年M月D日) in the text; else the most frequent year with the latest
    month/day mentioned. None when the text has no usable date."""
    best: date | None = None
    for m in _DATE_FULL.finditer(text):
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
        if best is None or d > best:
            best = d
    if best:
        return best
    years = Counter(int(y) for y in _YEAR.findall(text))
    if not years:
        return None
    year = years.most_common(1)[0][0]
    for m in _MD.finditer(text):
        try:
            d = date(year, int(m.group(1)), int(m.group(2)))
        except ValueError:
            continue
        if best is None or d > best:
            best = d
    return best


