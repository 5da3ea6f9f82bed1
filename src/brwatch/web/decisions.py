"""Review decisions: optimistic locking on `Article.review_version`, one audit event per change.

A decision names the version of the item the reviewer saw. If someone else decided in between,
the update matches no row and `DecisionConflict` says who did what, so the page can show it and
keep the reviewer's note; nothing is overwritten silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from brwatch.reuse.coverage import grant_problem
from brwatch.storage.models import Article, AuditEvent, utcnow
from brwatch.storage.states import DECISIONS
from brwatch.web.i18n import N_

# Labels for every review state; the templates translate them.
STATE_LABELS = {
    "pending": N_("Pending"),
    "cleared": N_("Cleared for reuse"),
    "reuse_with_attribution": N_("Reuse with attribution"),
    "do_not_reuse": N_("Do not reuse"),
    "permission_requested": N_("Permission requested"),
    "permission_granted": N_("Permission granted"),
}
MAX_NOTE_CHARS = 4000


# Why a grant cannot back "permission granted" (brwatch.reuse.GrantProblem codes).
GRANT_PROBLEMS = {
    "grant_missing": N_("Grant #%(id)s does not exist."),
    "grant_revoked": N_("Grant #%(id)s was revoked on %(date)s."),
    "grant_expired": N_("Grant #%(id)s expired on %(date)s."),
    "grant_not_yet_valid": N_("Grant #%(id)s is valid only from %(date)s."),
    "grant_not_covering": N_(
        "Grant #%(id)s is from %(publisher)s and does not cover this article (its rights holders: %(holders)s)."  # noqa: E501
    ),
}


class DecisionError(ValueError):
    """A decision that cannot be recorded as asked (unknown state, missing or unusable grant,
    note too long); ``message`` is a msgid, ``params`` its values."""

    def __init__(self, message: str, code: str = "bad_decision", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.params = params


class ItemMissing(LookupError):
    def __init__(self, article_id: int) -> None:
        super().__init__(f"article {article_id} does not exist")
        self.article_id = article_id


@dataclass
class DecisionConflict(Exception):
    """Someone changed the item after the reviewer loaded it (not frozen: raise sets fields)."""

    article_id: int
    current_state: str
    current_version: int
    by: str | None
    at: datetime | None


@dataclass
class BulkOutcome:
    decided: list[int] = field(default_factory=list)
    conflicts: list[DecisionConflict] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    # Items the chosen grant does not cover (or no longer covers): left as they are.
    refused: dict[int, DecisionError] = field(default_factory=dict)


def _check(state: str, grant_id: int | None, note: str | None) -> None:
    if state not in DECISIONS:
        raise DecisionError(N_("Unknown decision."))
    if note and len(note) > MAX_NOTE_CHARS:
        raise DecisionError(N_("The note is too long."))
    if state == "permission_granted":
        if grant_id is None:
            raise DecisionError(N_("Permission granted needs a current grant."), "grant_required")
    elif grant_id is not None:
        raise DecisionError(N_("Only permission granted links to a grant."))


def _check_grant(session: Session, article: Article, state: str, grant_id: int | None) -> None:
    """ "Permission granted" holds up in an audit only on a grant in force that covers this
    article (its URL, or its publisher): otherwise the decision is refused, saying why."""
    if state != "permission_granted" or grant_id is None:
        return
    problem = grant_problem(session, grant_id, article)
    if problem is not None:
        raise DecisionError(GRANT_PROBLEMS[problem.code], problem.code, **problem.values)


def latest_decision(session: Session, article_id: int) -> AuditEvent | None:
    return session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity == "article", AuditEvent.entity_id == article_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def _conflict(session: Session, article: Article) -> DecisionConflict:
    session.refresh(article)
    last = latest_decision(session, article.id)
    return DecisionConflict(
        article.id,
        article.review_state,
        article.review_version,
        last.user if last else None,
        last.at if last else None,
    )


def _apply(
    session: Session,
    article: Article,
    state: str,
    *,
    user: str,
    expected_version: int | None,
    note: str | None,
    grant_id: int | None,
) -> None:
    version = article.review_version if expected_version is None else expected_version
    before = {"state": article.review_state, "version": version}
    result = session.execute(
        update(Article)
        .where(Article.id == article.id, Article.review_version == version)
        .values(review_state=state, review_version=version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", result).rowcount != 1:
        raise _conflict(session, article)
    after: dict[str, object] = {"state": state, "version": version + 1}
    if grant_id is not None:
        after["grant_id"] = grant_id
    session.add(
        AuditEvent(
            user=user,
            entity="article",
            entity_id=article.id,
            action="decide",
            before=before,
            after=after,
            note=(note or "").strip() or None,
        )
    )


def decide(
    session: Session,
    article_id: int,
    state: str,
    *,
    user: str,
    expected_version: int | None,
    note: str | None = None,
    grant_id: int | None = None,
) -> Article:
    """Record one decision; `expected_version` None skips the version check (API callers)."""
    _check(state, grant_id, note)
    article = session.get(Article, article_id)
    if article is None:
        raise ItemMissing(article_id)
    if expected_version is not None and article.review_version != expected_version:
        raise _conflict(session, article)
    _check_grant(session, article, state, grant_id)
    _apply(
        session,
        article,
        state,
        user=user,
        expected_version=expected_version,
        note=note,
        grant_id=grant_id,
    )
    session.flush()
    session.refresh(article)
    return article


def decide_many(
    session: Session,
    expected: dict[int, int | None],
    state: str,
    *,
    user: str,
    note: str | None = None,
    grant_id: int | None = None,
) -> BulkOutcome:
    """Decide on exactly these items (id -> the version the user saw); each conflict, missing
    item or item the grant does not cover is reported and left alone, the rest applied."""
    _check(state, grant_id, note)
    outcome = BulkOutcome()
    articles = {
        a.id: a for a in session.scalars(select(Article).where(Article.id.in_(list(expected))))
    }
    for article_id, version in expected.items():
        article = articles.get(article_id)
        if article is None:
            outcome.missing.append(article_id)
            continue
        try:
            if version is not None and article.review_version != version:
                raise _conflict(session, article)
            _check_grant(session, article, state, grant_id)
            _apply(
                session,
                article,
                state,
                user=user,
                expected_version=version,
                note=note,
                grant_id=grant_id,
            )
        except DecisionConflict as conflict:
            outcome.conflicts.append(conflict)
            continue
        except DecisionError as refused:
            outcome.refused[article_id] = refused
            continue
        outcome.decided.append(article_id)
    return outcome


def audit_trail(session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
