"""A realistic synthetic brwatch database, for scale benchmarks (reports, web app, export).

``populate(db_url, n, seed=0)`` migrates the database at ``db_url`` and bulk-inserts ``n``
articles with everything the later stages attach to them: a rights verdict in the DESIGN.md
shape (status, evidence with rule ids and notice text), one small gzip snapshot each, an
attribution outcome, review decisions as ``AuditEvent`` rows, permission grants and reuse-gate
decisions — across several sources, languages and a year of dates. The same ``n`` and ``seed``
give the same data. It appends to what is already there, so it can be called twice.

Run alone: ``python benchmarks/synthetic_db.py sqlite:///synthetic.db 100000``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from headlines import headline
from sqlalchemy import func, insert, select, text

from brwatch.provenance.reuse import refresh_stale
from brwatch.storage import Database
from brwatch.storage.models import (
    Article,
    AttributionCheck,
    AuditEvent,
    GateDecision,
    Grant,
    Snapshot,
)

# The newest article is from this moment; dates spread back one year. Fixed, so runs repeat.
END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SPAN_DAYS = 365
RULESET = "synthetic-2026.11"
BATCH = 5000

# name, publisher as credited, host, language mix
SOURCES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("xinhua", "Xinhua", "english.news.cn", ("en", "zh")),
    ("chinadaily", "China Daily", "www.chinadaily.com.cn", ("en",)),
    ("seetao", "Seetao", "www.seetao.com", ("en", "zh")),
    ("cgtn", "CGTN", "news.cgtn.com", ("en", "fr", "es", "ar")),
    ("tass", "TASS", "tass.ru", ("ru", "en")),
    ("yidaiyilu", "Belt and Road Portal", "www.yidaiyilu.gov.cn", ("zh", "en")),
    ("dawn", "Dawn", "www.dawn.com", ("en",)),
    ("kazinform", "Kazinform", "www.inform.kz", ("ru", "kk", "en")),
]

# status -> weight, and the notice a page carries for it per language (rule id, text, scope).
STATUS_WEIGHTS = {
    "unknown": 28,
    "permission_required": 25,
    "prohibited": 16,
    "attribution_required": 16,
    "open_license": 10,
    "public_domain": 5,
}
NOTICES: dict[str, dict[str, tuple[str, str, str]]] = {
    "prohibited": {
        "en": ("en.reprint.prohibited", "Reproduction is not allowed without permission.", "tail"),
        "zh": ("zh.reprint.prohibited", "未经授权，禁止转载。", "tail"),
        "ru": ("ru.reprint.prohibited", "Перепечатка запрещена.", "footer"),
        "fr": (
            "fr.reprint.prohibited",
            "Toute reproduction est interdite sans autorisation.",
            "tail",
        ),
        "es": ("es.reprint.prohibited", "Prohibida su reproducción sin autorización.", "tail"),
        "ar": ("ar.reprint.prohibited", "يمنع إعادة النشر دون إذن.", "tail"),
        "kk": ("ru.reprint.prohibited", "Перепечатка запрещена.", "footer"),
    },
    "permission_required": {
        "en": ("generic.copyright", "© 2026 {publisher}. All rights reserved.", "footer"),
        "zh": ("zh.copyright", "版权所有 {publisher}", "footer"),
        "ru": ("ru.copyright", "© {publisher}. Все права защищены.", "footer"),
        "fr": ("generic.copyright", "© {publisher}. Tous droits réservés.", "footer"),
        "es": ("generic.copyright", "© {publisher}. Todos los derechos reservados.", "footer"),
        "ar": ("generic.copyright", "© {publisher}. جميع الحقوق محفوظة.", "footer"),
        "kk": ("generic.copyright", "© {publisher}. Барлық құқықтар қорғалған.", "footer"),
    },
    "attribution_required": {
        "en": (
            "en.reprint.with_credit",
            "Reprints must credit {publisher} and link to the original.",
            "tail",
        ),
        "zh": ("zh.reprint.with_credit", "转载请注明出处：{publisher}", "tail"),
        "ru": (
            "ru.reprint.with_link",
            "При использовании ссылка на {publisher} обязательна.",
            "tail",
        ),
        "fr": (
            "fr.reprint.with_credit",
            "Reproduction autorisée avec mention de {publisher}.",
            "tail",
        ),
        "es": (
            "es.reprint.with_credit",
            "Se permite la reproducción citando a {publisher}.",
            "tail",
        ),
        "ar": ("ar.reprint.with_credit", "يسمح بإعادة النشر مع ذكر {publisher}.", "tail"),
        "kk": (
            "ru.reprint.with_link",
            "При использовании ссылка на {publisher} обязательна.",
            "tail",
        ),
    },
}
LICENSES = ["CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0"]
DECISION_WEIGHTS = {
    "cleared": 30,
    "reuse_with_attribution": 25,
    "do_not_reuse": 25,
    "permission_requested": 12,
    "permission_granted": 8,
}
USERS = ["alice", "bob", "chen", "dmitri"]
# The web app's optimistic-locking counter, when the schema has it (decisions made = version).
HAS_REVIEW_VERSION = "review_version" in Article.__table__.c


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _verdict(
    rng: random.Random, status: str, lang: str, publisher: str, origin: str | None, conflict: bool
) -> dict[str, Any]:
    """A verdict in the DESIGN.md shape with evidence that explains the status."""
    evidence: list[dict[str, Any]] = []
    license_id = None
    if status in NOTICES:
        rule_id, template, scope = NOTICES[status].get(lang, NOTICES[status]["en"])
        notice = template.format(publisher=publisher)
        start = rng.randint(0, 400)
        evidence.append(
            {
                "rule_id": rule_id,
                "kind": "notice",
                "status": status,
                "text": notice,
                "scope": scope,
                "start": start,
                "end": start + len(notice),
                "confidence": 0.95,
            }
        )
    elif status == "open_license":
        license_id = rng.choice(LICENSES)
        url = "https://creativecommons.org/licenses/" + license_id[3:-4].lower() + "/4.0/"
        evidence.append(
            {
                "rule_id": "signal.rel_license",
                "kind": "rel_license",
                "status": status,
                "text": url,
                "scope": "link",
                "start": 0,
                "end": len(url),
                "confidence": 1.0,
            }
        )
    elif status == "public_domain":
        license_id = "CC0-1.0"
        evidence.append(
            {
                "rule_id": "signal.jsonld_license",
                "kind": "jsonld_license",
                "status": status,
                "text": "https://creativecommons.org/publicdomain/zero/1.0/",
                "scope": "jsonld",
                "start": 0,
                "end": 49,
                "confidence": 1.0,
            }
        )
    if conflict:
        # A second explicit statement that disagrees: a tail allowing reprint with credit.
        rule_id, template, scope = NOTICES["attribution_required"]["en"]
        notice = template.format(publisher=publisher)
        evidence.append(
            {
                "rule_id": rule_id,
                "kind": "notice",
                "status": "attribution_required",
                "text": notice,
                "scope": "body",
                "start": 10,
                "end": 10 + len(notice),
                "confidence": 0.9,
            }
        )
    if origin:
        line = f"Source: {origin}"
        evidence.append(
            {
                "rule_id": "origin.source_line",
                "kind": "origin",
                "status": None,
                "text": line,
                "scope": "body",
                "start": 0,
                "end": len(line),
                "confidence": 0.9,
            }
        )
    obligations = {
        "attribution_required": ["credit", "link"],
        "open_license": ["credit"],
    }.get(status, [])
    return {
        "status": status,
        "license": license_id,
        "requires_link": status == "attribution_required",
        "credit": publisher if status != "unknown" else None,
        "origin": origin,
        "obligations": obligations,
        "conflict": conflict,
        "evidence": evidence,
        "ruleset": RULESET,
    }


def _next_id(db: Database, table: Any) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()) + 1


def _insert(db: Database, tables: list[tuple[Any, list[dict[str, Any]]]]) -> dict[str, int]:
    """Bulk-insert each table's rows (Core executemany), all in one transaction."""
    counts: dict[str, int] = {}
    with db.engine.begin() as connection:
        for table, rows in tables:
            if rows:
                connection.execute(insert(table), rows)
            counts[table.name] = len(rows)
    return counts


def _fix_sequences(db: Database, tables: list[Any]) -> None:
    """Explicit ids bypass PostgreSQL's sequences; move them past what was inserted."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                )
            )


def populate(db_url: str, n: int, seed: int = 0) -> dict[str, int]:
    """Insert ``n`` synthetic articles and their related rows; returns row counts by table."""
    db = Database(db_url)
    try:
        return _populate(db, random.Random(seed), n, seed)
    finally:
        db.dispose()


def _populate(db: Database, rng: random.Random, n: int, seed: int) -> dict[str, int]:
    first_article = _next_id(db, Article.__table__)
    grants = _grants(rng, _next_id(db, Grant.__table__), first_article, seed)
    counts = _insert(db, [(Grant.__table__, grants)])
    maker = _ArticleMaker(rng, seed, first_article, grants)
    # Generated and inserted a batch at a time: memory stays flat whatever n is.
    for batch_start in range(0, n, BATCH):
        rows = _Rows()
        for offset in range(batch_start, min(n, batch_start + BATCH)):
            maker.add(first_article + offset, rows)
        for table, inserted in _insert(db, rows.by_table()).items():
            counts[table] = counts.get(table, 0) + inserted
    _fix_sequences(db, [Article.__table__, Grant.__table__])
    # The rows were written without their stored reuse verdicts; compute them now, as storing
    # does, so the benchmarks time readers of an up-to-date database.
    refresh_stale(db)
    return counts


def _grants(
    rng: random.Random, first_grant: int, first_article: int, seed: int
) -> list[dict[str, Any]]:
    """Per publisher: some standing grants, some expired, some ending within the month after
    END (article-scoped), a few revoked. Not every publisher has a standing grant, so some
    clearances are exposed."""
    grants: list[dict[str, Any]] = []
    for index, (_name, publisher, host, _langs) in enumerate(SOURCES):
        for kind in ("active", "expired", "expiring", "revoked"):
            if (kind == "revoked" and index % 3) or (kind == "active" and index % 2):
                continue
            valid_from = END - timedelta(days=rng.randint(200, 400))
            valid_to = {
                "active": END + timedelta(days=rng.randint(90, 400)),
                "expired": END - timedelta(days=rng.randint(20, 150)),
                "expiring": END + timedelta(days=rng.randint(1, 25)),
                "revoked": END + timedelta(days=200),
            }[kind]
            grant_id = first_grant + len(grants)
            grants.append(
                {
                    "id": grant_id,
                    "publisher": publisher,
                    "scope": "article" if kind == "expiring" else "all",
                    "article_url": (
                        f"https://{host}/s{seed}/a/{first_article}.html"
                        if kind == "expiring"
                        else None
                    ),
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "conditions": "Credit the publisher and link to the original.",
                    "reference": f"LEGAL-2026-{grant_id:04d}",
                    "created_by": "legal",
                    "created_at": valid_from,
                    "revoked_at": END - timedelta(days=10) if kind == "revoked" else None,
                    "revoked_by": "legal" if kind == "revoked" else None,
                }
            )
    return grants


@dataclass
class _Rows:
    """One batch of rows, table by table, in the order foreign keys need."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)

    def by_table(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        return [
            (Article.__table__, self.articles),
            (Snapshot.__table__, self.snapshots),
            (AttributionCheck.__table__, self.checks),
            (AuditEvent.__table__, self.audits),
            (GateDecision.__table__, self.gates),
        ]


class _ArticleMaker:
    """Makes one article and everything attached to it, drawing from one seeded generator."""

    def __init__(
        self, rng: random.Random, seed: int, first_article: int, grants: list[dict[str, Any]]
    ) -> None:
        self.rng = rng
        self.seed = seed
        self.first_article = first_article
        self.grants_by_publisher: dict[str, list[dict[str, Any]]] = {}
        for grant in grants:
            self.grants_by_publisher.setdefault(grant["publisher"], []).append(grant)
        self.statuses = list(STATUS_WEIGHTS)
        self.status_weights = list(STATUS_WEIGHTS.values())

    def add(self, article_id: int, rows: _Rows) -> None:
        rng = self.rng
        name, publisher, host, langs = SOURCES[rng.randrange(len(SOURCES))]
        lang = rng.choice(langs)
        fetched_at = END - timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
        status = rng.choices(self.statuses, weights=self.status_weights)[0]
        relevant = rng.random() < 0.7
        conflict = status in ("prohibited", "permission_required") and rng.random() < 0.04
        # Some pages are reprints that name another publisher as their origin.
        origin = None
        if rng.random() < 0.15:
            origin = rng.choice([p for _, p, _, _ in SOURCES if p != publisher])
        verdict = _verdict(rng, status, lang, publisher, origin, conflict)
        url = f"https://{host}/s{self.seed}/a/{article_id}.html"
        link = "not_required"
        if verdict["requires_link"] or origin:
            link = rng.choices(["ok", "missing", "broken", "wrong_target"], [70, 15, 10, 5])[0]
        attribution = self._attribution(article_id, host, origin or publisher, link, fetched_at)
        title = headline(lang, article_id)
        html = (
            f"<html lang='{lang}'><head><title>{title}</title></head>"
            f"<body><article><p>Belt and Road cooperation {article_id}.</p></article>"
            f"<footer>{' '.join(e['text'] for e in verdict['evidence'])}</footer></body></html>"
        ).encode()
        sha = hashlib.sha256(html).hexdigest()
        flagged = (
            status in ("prohibited", "permission_required", "attribution_required")
            or conflict
            or link in ("missing", "broken", "wrong_target")
        )
        history, decided_at = self._review(article_id, flagged, fetched_at, rows)
        reprint_of = None
        if origin and article_id > self.first_article and rng.random() < 0.3:
            reprint_of = rng.randrange(self.first_article, article_id)
        rows.articles.append(
            {
                "id": article_id,
                "canonical_url": url,
                "url": url,
                "source": name,
                "title": title,
                "text": f"Belt and Road cooperation {article_id}. " * 3,
                "lang": lang,
                "published": fetched_at - timedelta(hours=rng.randint(1, 72)),
                "authors": [f"Reporter {article_id % 97}"],
                "site_name": publisher,
                "image": None,
                "topic_score": round(rng.uniform(0.5, 1.0) if relevant else rng.uniform(0, 0.5), 3),
                "relevant": relevant,
                "rights": verdict,
                "rights_status": status,
                "rights_conflict": conflict,
                "ruleset": RULESET,
                "origin": origin,
                "attribution": attribution,
                "attribution_link": link,
                "reprint_of_id": reprint_of,
                "review_state": history[-1] if history else "pending",
                **({"review_version": len(history)} if HAS_REVIEW_VERSION else {}),
                "content_sha256": sha,
                "first_seen_at": fetched_at,
                "fetched_at": fetched_at,
                "updated_at": decided_at,
            }
        )
        rows.snapshots.append(
            {
                "article_id": article_id,
                "url": url,
                "status": 200,
                "headers": {"content-type": "text/html; charset=utf-8"},
                "html_gz": gzip.compress(html, compresslevel=1, mtime=0),
                "sha256": sha,
                "encoding": "utf-8",
                "fetched_at": fetched_at,
            }
        )
        if link != "not_required":
            rows.checks.append(
                {
                    "article_id": article_id,
                    "origin": attribution["origin"],
                    "origin_url": attribution["origin_url"],
                    "link_url": attribution["link_url"],
                    "outcome": link,
                    "http_status": attribution["http_status"],
                    "final_url": None,
                    "redirects": [],
                    "evidence": {},
                    "checked_at": fetched_at,
                }
            )
        # Reuse gate: about one article in twelve is checked before reuse.
        if rng.random() < 0.08:
            rows.gates.append(
                self._gate_decision(article_id, url, publisher, status, link, decided_at)
            )

    @staticmethod
    def _attribution(
        article_id: int, host: str, origin: str, link: str, checked_at: datetime
    ) -> dict[str, Any]:
        return {
            "origin": origin,
            "origin_url": f"https://{host}/",
            "link": link,
            "link_url": (
                None if link in ("missing", "not_required") else f"https://{host}/orig/{article_id}"
            ),
            "checked_at": checked_at.isoformat(),
            "http_status": {"ok": 200, "broken": 404, "wrong_target": 200}.get(link),
            "final_url": None,
            "redirects": [],
        }

    def _review(
        self, article_id: int, flagged: bool, fetched_at: datetime, rows: _Rows
    ) -> tuple[list[str], datetime]:
        """Flagged items are mostly decided, as the web app records it; some decisions are
        knowingly wrong (cleared while prohibited) so reports have exceptions to find."""
        rng = self.rng
        if not flagged or rng.random() >= 0.6:
            return [], fetched_at
        history = [_weighted(rng, DECISION_WEIGHTS)]
        if history[0] == "permission_requested" and rng.random() < 0.5:
            history.append(rng.choice(["permission_granted", "do_not_reuse"]))
        before, decided_at = "pending", fetched_at
        for step, state in enumerate(history):
            decided_at = fetched_at + timedelta(hours=rng.randint(1, 48) + 72 * step)
            rows.audits.append(
                {
                    "at": decided_at,
                    "user": rng.choice(USERS),
                    "entity": "article",
                    "entity_id": article_id,
                    "action": "decide",
                    "before": {"state": before, "version": step},
                    "after": {"state": state, "version": step + 1},
                    "note": f"decided {state.replace('_', ' ')}",
                }
            )
            before = state
        return history, decided_at

    def _gate_decision(
        self, article_id: int, url: str, publisher: str, status: str, link: str, after: datetime
    ) -> dict[str, Any]:
        """A reuse-gate answer; some rely on a grant, some after it expired, a few are wrong."""
        rng = self.rng
        grant = rng.choice(self.grants_by_publisher[publisher]) if rng.random() < 0.4 else None
        decided_at = after + timedelta(hours=rng.randint(1, 240))
        if grant is not None and grant["valid_to"] < END and rng.random() < 0.5:
            decided_at = grant["valid_to"] + timedelta(days=rng.randint(1, 15))
        passed = status not in ("prohibited", "permission_required") or grant is not None
        if rng.random() < 0.05:
            passed = not passed
        reasons = [] if passed else [f"rights status is {status}"]
        if link in ("missing", "broken"):
            reasons.append(f"attribution link {link}")
        return {
            "decided_at": decided_at,
            "article_url": url,
            "article_id": article_id,
            "draft_sha256": hashlib.sha256(f"draft {article_id}".encode()).hexdigest(),
            "outcome": "pass" if passed else "fail",
            "reasons": reasons,
            "grant_id": grant["id"] if grant else None,
            "user": rng.choice(USERS),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db_url")
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = populate(args.db_url, args.n, args.seed)
    elapsed = time.perf_counter() - started
    print(f"populated in {elapsed:.1f} s: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
