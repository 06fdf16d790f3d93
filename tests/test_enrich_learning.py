"""Learned layer against a real SQLite database: corrections, retraining, take-over threshold,
model pick-up without restart, reclassification."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest
from sqlmodel import Session, SQLModel, select

from worker.core.db import make_engine
from worker.core.models import Article, Correction, Issue
from worker.enrich.article import article_doc
from worker.enrich.classify import MODEL_FILE, classify_doc, get_model, load_model
from worker.enrich.learning import MIN_LABELS, reclassify, record_correction, retrain_if_changed

CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水", "义乌", "慈溪",
          "诸暨", "乐清", "温岭", "海宁", "桐乡", "余姚", "瑞安", "德清", "安吉", "东阳", "永康", "长兴", "江山"]


def reading_room(i: int) -> tuple[str, list[str]]:
    """职工书屋 stories: the rules call them culture (职工书屋, 阅读); this newsroom files them under
    worker_services (a service point for workers) — the correction the model has to learn."""
    city = CITIES[i % len(CITIES)]
    return (f"{city}新建{i + 3}家职工书屋",
            [f"近日，{city}市总工会在企业车间、园区新建职工书屋{i + 3}家，配备图书{(i + 2) * 100}册，"
             f"设置休息区和饮水点，职工下班后可以借书、歇脚。书屋全天开放，由企业工会专人管理。"])


def calligraphy(i: int) -> tuple[str, list[str]]:
    city = CITIES[(i * 7) % len(CITIES)]
    return (f"{city}职工书画展开幕",
            [f"{city}市第{i + 2}届职工书画展日前开幕，展出书法、美术作品{i + 40}幅，展现职工精神风貌。"
             f"书画展还设置了摄影作品专区和非遗展演。"])


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'learn.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        issue = Issue(file_name="t.txt", sha256=hashlib.sha256(b"t").hexdigest(), raw=b"t")
        s.add(issue)
        s.commit()
        s.info["issue_id"] = issue.id
        yield s
    engine.dispose()


def add_article(session: Session, seq: int, title: str, paragraphs: list[str]) -> Article:
    cls = classify_doc(article_doc(None, title, None, False, paragraphs), use_model=False)
    art = Article(issue_id=session.info["issue_id"], seq=seq, title=title, paragraphs=paragraphs,
                  category=cls.category, category_scores=cls.scores, secondary_categories=cls.secondary)
    session.add(art)
    session.commit()
    return art


def test_record_correction_validates_and_records_confirmations(session):
    art = add_article(session, 1, *calligraphy(0))
    assert art.category == "culture"
    c = record_correction(session, art.id, "culture", "张三")  # a confirmation is a label too
    assert (c.old_category, c.new_category, c.who) == ("culture", "culture", "张三")
    c2 = record_correction(session, art.id, "worker_services", "李四")
    session.commit()
    assert (c2.old_category, c2.new_category) == ("culture", "worker_services")
    row = session.get(Article, art.id)
    assert row.category == "worker_services" and row.category_confirmed
    assert len(session.exec(select(Correction)).all()) == 2
    with pytest.raises(ValueError):
        record_correction(session, art.id, "sports", "张三")
    with pytest.raises(LookupError):
        record_correction(session, 9999, "culture", "张三")


def test_retrain_skips_without_changes(session, tmp_path):
    models = tmp_path / "models"
    assert "skipped" in retrain_if_changed(session, models)  # no labels at all
    a = add_article(session, 1, *calligraphy(0))
    record_correction(session, a.id, "culture", "张三")
    session.commit()
    assert "skipped" in retrain_if_changed(session, models)  # one category only
    b = add_article(session, 2, *reading_room(0))
    record_correction(session, b.id, "worker_services", "张三")
    session.commit()
    first = retrain_if_changed(session, models)
    assert first["version"] == 1 and first["labels"] == 2 and first["owned"] == []
    again = retrain_if_changed(session, models)
    assert again == {"skipped": "labels unchanged since model version 1"}


def test_relabel_retrain_changes_prediction_once_threshold_met(session, tmp_path):
    models = tmp_path / "models"
    new_title, new_paras = reading_room(99)
    new_doc = article_doc(None, new_title, None, False, new_paras)
    assert classify_doc(new_doc, models_dir=models).category == "culture"  # the rules' view

    seq = 0
    # below the threshold: the model is trained but must not take over
    for i in range(MIN_LABELS - 1):
        seq += 1
        a = add_article(session, seq, *reading_room(i))
        record_correction(session, a.id, "worker_services", "编辑")
        seq += 1
        b = add_article(session, seq, *calligraphy(i))
        record_correction(session, b.id, "culture", "编辑")
    session.commit()
    meta = retrain_if_changed(session, models)
    assert meta["label_counts"] == {"culture": MIN_LABELS - 1, "worker_services": MIN_LABELS - 1}
    assert meta["owned"] == []
    assert get_model(models, max_age=0).version == 1
    assert classify_doc(new_doc, models_dir=models).category == "culture"

    # threshold met: cross-validated F1 beats the rules on these labels → the model takes over
    for i in range(MIN_LABELS - 1, MIN_LABELS + 4):
        seq += 1
        a = add_article(session, seq, *reading_room(i))
        record_correction(session, a.id, "worker_services", "编辑")
        seq += 1
        b = add_article(session, seq, *calligraphy(i))
        record_correction(session, b.id, "culture", "编辑")
    session.commit()
    meta = retrain_if_changed(session, models)
    assert meta["version"] == 2
    assert meta["cv_accuracy"] > meta["rules_accuracy"]
    assert "worker_services" in meta["owned"]
    assert meta["rules_f1"]["worker_services"] == 0.0 and meta["cv_f1"]["worker_services"] > 0.9
    cls = classify_doc(new_doc, models_dir=models)
    assert cls.category == "worker_services" and cls.source == "model" and cls.model_version == 2
    assert cls.scores["worker_services"] > 0.5
    # a calligraphy article stays culture
    title, paras = calligraphy(77)
    other = classify_doc(article_doc(None, title, None, False, paras), models_dir=models)
    assert other.category == "culture"


def test_model_file_is_not_pickle_and_is_replaced_atomically(session, tmp_path):
    models = tmp_path / "models"
    for i in range(3):
        add_article(session, 2 * i + 1, *reading_room(i))
        add_article(session, 2 * i + 2, *calligraphy(i))
    for art in session.exec(select(Article)).all():
        record_correction(session, art.id, "worker_services" if "书屋" in art.title else "culture", "编辑")
    session.commit()
    retrain_if_changed(session, models)
    path = models / MODEL_FILE
    assert path.read_bytes()[:2] == b"PK"  # a zip of .npy arrays, loaded with allow_pickle=False
    assert load_model(path).meta["version"] == 1
    assert [p.name for p in models.iterdir()] == [MODEL_FILE]  # no temp file left behind


def test_loader_picks_up_a_retrained_model_without_restart(session, tmp_path):
    models = tmp_path / "models"
    for i in range(3):
        a = add_article(session, 2 * i + 1, *reading_room(i))
        record_correction(session, a.id, "worker_services", "编辑")
        b = add_article(session, 2 * i + 2, *calligraphy(i))
        record_correction(session, b.id, "culture", "编辑")
    session.commit()
    retrain_if_changed(session, models)
    m1 = get_model(models, max_age=0)
    assert m1.version == 1
    assert get_model(models) is m1  # cached: no re-read within the check interval
    # Another worker process retrains: its model lands in our folder by an atomic rename.
    c = add_article(session, 7, *calligraphy(5))
    record_correction(session, c.id, "culture", "编辑")
    session.commit()
    elsewhere = tmp_path / "other-process"
    shutil.copytree(models, elsewhere)
    assert retrain_if_changed(session, elsewhere)["version"] == 2
    assert get_model(models, max_age=0).version == 1  # (retraining elsewhere reset the check clock)
    os.replace(elsewhere / MODEL_FILE, models / MODEL_FILE)
    assert get_model(models, max_age=3600).version == 1  # not re-checked within the interval
    assert get_model(models, max_age=0).version == 2  # picked up at the next check, no restart


def test_reclassify_skips_confirmed_articles(session, tmp_path):
    a = add_article(session, 1, *calligraphy(0))
    b = add_article(session, 2, *reading_room(0))
    record_correction(session, b.id, "worker_services", "编辑")
    a.category = "other"  # as if classified by an older taxonomy
    session.add(a)
    session.commit()
    assert reclassify(session) == 1
    session.commit()
    assert session.get(Article, a.id).category == "culture"
    assert session.get(Article, b.id).category == "worker_services"
