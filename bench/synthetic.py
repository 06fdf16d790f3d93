"""Synthetic briefing content for render benchmarks and layout tests: a
:class:`worker.briefing.render.BriefingContent` of any size built by hand (no DB, no pipeline),
and :func:`benchmark`, the render time of such content per size."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, timedelta

from worker.briefing.render import (
    ArticleEntry,
    BriefingContent,
    ClosingBlock,
    Highlight,
    KeyFigure,
    TopicSection,
    render,
)
from worker.briefing.select import zhejiang_cities

_TOPICS = [("politics", "时政要闻"), ("union_building", "工会建设"), ("model_workers", "劳模工匠"),
           ("skills_competition", "技能竞赛与职工创新"), ("rights_protection", "维权与劳动关系"),
           ("new_employment", "新就业形态"), ("worker_services", "服务职工"),
           ("care_and_relief", "帮扶关爱"), ("work_safety", "安全生产与职业健康"),
           ("culture", "职工文化"), ("other", "其他")]
_CITIES = list(zhejiang_cities())


def synthetic_content(n_articles: int, kind: str = "monthly", *, start: date = date(2024, 12, 1)
                      ) -> BriefingContent:
    """A content object with ``n_articles`` entries, all shown (no caps: a stress test of the
    renderer, not a briefing the office would send), for benchmarks and layout tests."""
    days = {"daily": 1, "weekly": 7}.get(kind, 31)
    end = start + timedelta(days=days - 1)
    sections: dict[str, TopicSection] = {}
    for i in range(n_articles):
        key, label = _TOPICS[i % len(_TOPICS)]
        d = start + timedelta(days=i % days)
        a = ArticleEntry(
            title=f"{_CITIES[i % 11]}市总工会开展“暖冬”服务行动 首批{i + 100}份暖心包送到职工手中",
            summary=("12月22日，省总工会启动新就业形态劳动者“暖冬”服务行动，首批5000份暖心包当天"
                     "送到骑手手中。本次行动预计惠及新就业形态劳动者20万人次。"),
            issue_date=d, page=1 + i % 4, page_name="要闻", newspaper="浙江工人日报", source="本报",
            authors=["钱塘", "刘思源"], figures=[f"{i + 100}份", "20万人次", "41.6亿元"],
            category=key, city=_CITIES[i % 11])
        sections.setdefault(key, TopicSection(key, label)).articles.append(a)
    secs = [sections[k] for k, _ in _TOPICS if k in sections]
    for ref, a in enumerate((a for s in secs for a in s.articles), 1):
        a.ref = ref
    return BriefingContent(
        kind=kind, kind_label={"daily": "日报", "weekly": "周报"}.get(kind, "月报"),
        title="工会信息简报", issuing_unit="浙江省总工会办公室", year=start.year, number=12,
        period_start=start, period_end=end, made_on=end + timedelta(days=1),
        internal_mark="内部资料 注意保存", issue_count=days, article_count=n_articles,
        highlights=[Highlight(secs[0].articles[0].title, 1)] if secs else [],
        sections=secs,
        key_figures=[KeyFigure("41.6亿元", "金额", "审计资金总额41.6亿元",
                               "全省工会经费审查工作会议在杭州召开", start, 1)] * 10,
        topic_counts=[(s.label, len(s.articles)) for s in secs],
        city_counts=[(c, max(1, n_articles // 11)) for c in _CITIES],
        closing=ClosingBlock(["全国总工会办公厅"], ["省委办公厅"], ["各设区市总工会"], 60,
                             "浙江省总工会办公室"),
    )


def benchmark(sizes: Iterable[int] = (10, 70, 300), repeat: int = 1) -> dict[int, float]:
    """Render synthetic briefings of ``sizes`` articles (daily ≤ 10, weekly ≤ 70, else monthly)
    and return the best wall time in seconds per size, e.g. ``{10: 0.4, 70: 0.6, 300: 1.4}``."""
    out: dict[int, float] = {}
    for n in sizes:
        kind = "daily" if n <= 10 else "weekly" if n <= 70 else "monthly"
        content = synthetic_content(n, kind)
        best = float("inf")
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            render(content)
            best = min(best, time.perf_counter() - t0)
        out[n] = round(best, 3)
    return out


if __name__ == "__main__":  # pragma: no cover
    print(benchmark(repeat=3))
