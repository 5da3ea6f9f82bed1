"""Notifications: opt-in digests by email (a real aiosmtpd server on loopback) and by webhook (a
real HTTP server on loopback), in each user's language, each item once, retried with back-off
when the server is down, slow or failing, and never in the way of crawls or the web app."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from brwatch.notify import NotifySettings, Preferences, Sender, notify, save_subscription
from brwatch.notify.i18n import LOCALES_DIR
from brwatch.storage import Database
from brwatch.storage.models import (
    Grant,
    NotificationDelivery,
    SourceFlag,
    User,
)
from brwatch.web import WebSettings, create_app
from tests.conftest import ROOT
from tests.sites import Page
from tests.test_schedule_daemon import LISTING, Harness, _harness, wait_until
from tests.web_data import add_article, add_users, login, make_client

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


# -- a mail server and a webhook on loopback -----------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port or _free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@dataclass
class Webhook:
    status: int = 200
    delay: float = 0.0
    posts: list[dict] = field(default_factory=list)
    url: str = ""


@contextlib.contextmanager
def webhook_server(hook: Webhook, host: str = "127.0.0.3") -> Iterator[Webhook]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.posts.append({"type": self.headers.get("Content-Type"), "body": body})
            time.sleep(hook.delay)
            self.send_response(hook.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(b"ok")

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://{host}:{server.server_address[1]}/hooks/T000/B000"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def settings_for(port: int, **changes: object) -> NotifySettings:
    base = NotifySettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="brwatch@news.example",
        smtp_timeout=5,
        webhook_timeout=2,
        attempts=3,
        backoff=0.01,
        backoff_max=0.05,
        retry_after=300,
        public_url="https://brwatch.example",
    )
    return base.with_values(changes)


@pytest.fixture(autouse=True)
def loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhooks of these tests live on loopback, which the safe fetcher refuses otherwise."""
    monkeypatch.setenv("BRWATCH_ALLOWED_NETWORKS", "127.0.0.0/8")


def user_id(db: Database, name: str) -> int:
    with db.session() as session:
        return session.scalar(select(User.id).where(User.name == name))


def subscribe(db: Database, name: str, **prefs: object) -> None:
    with db.session() as session:
        save_subscription(session, user_id(db, name), Preferences(**prefs))  # type: ignore[arg-type]


def set_locale(db: Database, name: str, locale: str) -> None:
    with db.session() as session:
        session.scalar(select(User).where(User.name == name)).locale = locale


def flagged(db: Database, n: int, **fields: object) -> int:
    return add_article(db, n, first_seen_at=datetime.now(UTC), **fields)


def deliveries(db: Database) -> list[NotificationDelivery]:
    with db.session() as session:
        return list(session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


# -- digests --------------------------------------------------------------------------------------


def test_email_digest_in_each_users_language_sent_once(db: Database) -> None:
    add_users(db)
    add_article(db, 1, first_seen_at=datetime(2020, 1, 1, tzinfo=UTC))  # before anyone opted in
    subscribe(db, "edith", email="edith@news.example")
    subscribe(db, "lena", email="lena@news.example")
    set_locale(db, "lena", "zh_CN")
    flagged(db, 2)
    flagged(db, 3, rights_status="attribution_required", attribution_link="missing")
    flagged(db, 4, rights_status="open_license")  # not flagged: never notified
    with smtp_server() as (mailbox, port):
        settings = settings_for(port)
        first = notify(db, settings)
        assert first.report.sent == 2 and first.report.failed == 0
        assert notify(db, settings).report.sent == 0  # nothing new: nothing sent twice
        flagged(db, 5, rights_status="permission_required")
        third = notify(db, settings)
    assert third.report.sent == 2 and third.report.items == 2
    assert len(mailbox.messages) == 4
    by_rcpt = {}
    for rcpts, message in mailbox.messages:
        by_rcpt.setdefault(rcpts[0], []).append(message)
    english, later = by_rcpt["edith@news.example"]
    text = english.get_payload(decode=True).decode()
    assert english["Subject"] == "brwatch: 2 new notifications"
    assert english["From"] == "brwatch@news.example"
    assert "New flagged items (2)" in text
    assert "Prohibited: 1" in text and "Attribution required: 1" in text
    assert "https://brwatch.example/items/2" in text and "/items/1" not in text
    assert "/items/4" not in text
    later_text = later.get_payload(decode=True).decode()
    assert "/items/5" in later_text and "/items/2" not in later_text
    chinese = by_rcpt["lena@news.example"][0]
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(chinese["Subject"]))) == "brwatch：2 条新通知"
    chinese_text = chinese.get_payload(decode=True).decode()
    assert "新的待审条目 (2)" in chinese_text and "禁止转载: 1" in chinese_text
    assert all(d.status == "sent" and d.sent_at for d in deliveries(db))


def test_webhook_digest_is_slack_and_teams_json(sqlite_db: Database) -> None:
    db = sqlite_db
    add_users(db)
    with webhook_server(Webhook()) as hook:
        subscribe(db, "lena", webhook_url=hook.url, flagged_items=False, source_flags=True,
                  expiring_grants=True, grant_days=10)  # fmt: skip
        with db.session() as session:
            session.add(SourceFlag(source="tass-en", kind="error_rate", detail="error rate 80%",
                                   raised_at=datetime.now(UTC)))  # fmt: skip
            soon = datetime.now(UTC) + timedelta(days=5)
            session.add(Grant(publisher="Xinhua", scope="all", valid_to=soon, reference="L-7"))
            session.add(Grant(publisher="TASS", scope="all",
                              valid_to=datetime.now(UTC) + timedelta(days=40)))  # fmt: skip
        flagged(db, 1)  # lena did not ask for items
        result = notify(db, settings_for(_free_port()))
    assert result.report.sent == 1
    (post,) = hook.posts
    assert post["type"] == "application/json"
    payload = json.loads(post["body"])
    assert set(payload) == {"text"}
    assert "Sources flagged by monitoring (1)" in payload["text"]
    assert "tass-en: error rate — error rate 80%" in payload["text"]
    assert "Grant #1 for Xinhua ends on" in payload["text"]
    assert "TASS" not in payload["text"] and "/items/" not in payload["text"]


def test_a_mail_server_that_is_down_is_retried_with_back_off(sqlite_db: Database) -> None:
    db = sqlite_db
    add_users(db)
    subscribe(db, "edith", email="edith@news.example")
    flagged(db, 1)
    port = _free_port()  # nothing listens here yet
    waits: list[float] = []
    settings = settings_for(port)
    sender = Sender(db, settings, sleep=waits.append)
    from brwatch.notify.outbox import fill_outbox

    fill_outbox(db, NOW)
    down = sender.send_due(NOW)
    assert down.sent == 0 and down.failed == 1
    assert len(waits) == settings.attempts - 1  # tenacity tried 3 times, waiting in between
    assert waits == sorted(waits) and waits[-1] <= settings.backoff_max
    (row,) = deliveries(db)
    assert row.status == "pending" and row.attempts == 1
    assert "SMTP 127.0.0.1" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(seconds=settings.retry_after)
    with smtp_server(port) as (mailbox, _):
        assert sender.send_due(NOW + timedelta(seconds=10)).sent == 0  # not due yet
        assert mailbox.messages == []
        back = sender.send_due(NOW + timedelta(seconds=settings.retry_after))
        assert back.sent == 1 and len(mailbox.messages) == 1
        assert sender.send_due(NOW + timedelta(days=1)).sent == 0
    (row,) = deliveries(db)
    assert row.status == "sent" and row.last_error is None


def test_a_second_failure_waits_twice_as_long(sqlite_db: Database) -> None:
    db = sqlite_db
    add_users(db)
    subscribe(db, "edith", email="edith@news.example")
    flagged(db, 1)
    settings = settings_for(_free_port(), attempts=1)
    sender = Sender(db, settings, sleep=lambda _: None)
    from brwatch.notify.outbox import fill_outbox

    fill_outbox(db, NOW)
    sender.send_due(NOW)
    later = NOW + timedelta(seconds=settings.retry_after)
    sender.send_due(later)
    (row,) = deliveries(db)
    assert row.attempts == 2
    assert row.next_attempt_at == later + timedelta(seconds=2 * settings.retry_after)


@pytest.mark.parametrize("problem", ["500", "slow"])
def test_a_webhook_answering_500_or_too_slowly_is_retried(
    sqlite_db: Database, problem: str
) -> None:
    db = sqlite_db
    add_users(db)
    hook = Webhook(status=500) if problem == "500" else Webhook(delay=1.5)
    settings = settings_for(_free_port(), webhook_timeout=0.3)
    with webhook_server(hook):
        subscribe(db, "edith", webhook_url=hook.url)
        flagged(db, 1)
        result = notify(db, settings)
        assert result.report.failed == 1
        assert len(hook.posts) == settings.attempts
        (row,) = deliveries(db)
        assert row.status == "pending"
        assert ("HTTP 500" if problem == "500" else "timed out") in row.last_error
        hook.status, hook.delay = 200, 0
        retried = Sender(db, settings).send_due(datetime.now(UTC) + timedelta(hours=1))
    assert retried.sent == 1
    assert json.loads(hook.posts[-1]["body"])["text"].count("/items/1") == 1


def test_a_webhook_on_a_private_address_is_refused(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRWATCH_ALLOWED_NETWORKS")
    db = sqlite_db
    add_users(db)
    with webhook_server(Webhook()) as hook:
        subscribe(db, "edith", webhook_url=hook.url)
        flagged(db, 1)
        result = notify(db, settings_for(_free_port(), attempts=1))
    assert result.report.failed == 1 and hook.posts == []
    assert "loopback" in deliveries(db)[0].last_error


def test_two_runs_never_send_the_same_digest(sqlite_db: Database) -> None:
    db = sqlite_db
    add_users(db)
    subscribe(db, "edith", email="edith@news.example")
    flagged(db, 1)
    with smtp_server() as (mailbox, port):
        settings = settings_for(port)
        from brwatch.notify.outbox import fill_outbox

        fill_outbox(db, NOW)
        fill_outbox(db, NOW)  # a second run finds the same item: still one row
        assert len(deliveries(db)) == 1
        first, second = Sender(db, settings), Sender(db, settings)
        claimed = first._claim(user_id(db, "edith"), "email", NOW)
        assert len(claimed) == 1
        assert second.send_due(NOW).sent == 0  # the row is the first run's
        # The first run died while sending: once stale, the row is tried again.
        stale = NOW + timedelta(seconds=settings.stale_claim + 1)
        assert second.send_due(stale).sent == 1
    assert len(mailbox.messages) == 1


def test_switching_a_channel_off_cancels_what_waits(sqlite_db: Database) -> None:
    db = sqlite_db
    add_users(db)
    subscribe(db, "edith", email="edith@news.example")
    flagged(db, 1)
    from brwatch.notify.outbox import fill_outbox

    fill_outbox(db, NOW)
    subscribe(db, "edith", enabled=False, email="edith@news.example")
    with smtp_server() as (mailbox, port):
        assert Sender(db, settings_for(port)).send_due(NOW).sent == 0
    assert mailbox.messages == [] and deliveries(db)[0].status == "cancelled"


# -- the web app and the CLI ----------------------------------------------------------------------


def test_the_web_app_saves_choices_and_sends_nothing(sqlite_db: Database) -> None:
    add_users(sqlite_db)
    app = create_app(sqlite_db, WebSettings(secret_key="t"))
    client = make_client(app)
    token = login(client, "edith")
    page = client.get("/account/notifications")
    assert page.status_code == 200 and "Send me notifications" in page.text
    injected = "edith@news.example\r\nBcc: x@y.z"
    bad = client.post("/account/notifications", data={
        "csrf_token": token, "enabled": "true", "email": injected})  # fmt: skip
    assert bad.status_code == 400 and "is not one email address" in bad.text
    bad_hook = client.post("/account/notifications", data={
        "csrf_token": token, "enabled": "true", "webhook_url": "javascript:alert(1)"})  # fmt: skip
    assert bad_hook.status_code == 400 and "not an http(s) URL" in bad_hook.text
    nowhere = client.post("/account/notifications", data={"csrf_token": token, "enabled": "true"})
    assert nowhere.status_code == 400
    saved = client.post("/account/notifications", data={
        "csrf_token": token, "enabled": "true", "email": "edith@news.example",
        "expiring_grants": "true", "grant_days": "30"})  # fmt: skip
    assert saved.status_code == 200 and "Notification settings saved." in saved.text
    assert 'value="edith@news.example"' in saved.text
    assert deliveries(sqlite_db) == []  # saving queues and sends nothing


def test_cli_subscribe_status_and_send(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    db = Database(db_url)
    add_users(db)
    ok = brwatch("--db", db_url, "notify", "subscribe", "edith", "--email", "edith@news.example",
                 "--grants", "--grant-days", "7")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    flagged(db, 1)
    with smtp_server() as (mailbox, port):
        env = {"BRWATCH_NOTIFY_SMTP_HOST": "127.0.0.1", "BRWATCH_NOTIFY_SMTP_PORT": str(port)}
        sent = brwatch("--db", db_url, "notify", "send", env=env)
    assert sent.returncode == 0 and "1 digests sent" in sent.stderr
    assert len(mailbox.messages) == 1
    status = brwatch("--db", db_url, "notify", "status", "--json")
    line = json.loads(status.stdout)
    assert line["user"] == "edith" and line["outbox"]["sent"] == 1 and line["grant_days"] == 7
    unknown = brwatch("--db", db_url, "notify", "subscribe", "nobody", "--email", "a@b.cd")
    assert unknown.returncode == 2 and "no user named 'nobody'" in unknown.stderr
    bad = brwatch("--db", db_url, "notify", "send", env={"BRWATCH_NOTIFY_SMTP_PORT": "twenty"})
    assert bad.returncode == 2 and "BRWATCH_NOTIFY_SMTP_PORT" in bad.stderr
    db.dispose()


# -- completeness ---------------------------------------------------------------------------------


def test_every_notification_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [n for n in NotifySettings.names() if f"`BRWATCH_NOTIFY_{n.upper()}`" not in doc]
    assert not missing, f"docs/settings.md does not describe {missing}"


def test_every_notification_message_is_translated() -> None:
    package = ROOT / "src" / "brwatch" / "notify"
    messages = {
        message
        for _, _, message, _, _ in extract_from_dir(
            package, [("**.py", "python")], keywords={"N_": None, "_": None}
        )
    }
    assert len(messages) > 15
    with (LOCALES_DIR / "zh_CN" / "LC_MESSAGES" / "notify.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    missing = [m for m in messages if not (catalog.get(m) and catalog.get(m).string)]
    assert not missing, f"notify.po lacks {missing}"


# -- the scheduler's job --------------------------------------------------------------------------


@pytest.fixture
def scheduler_harness(tmp_path: Path) -> Iterator[Harness]:
    """`brwatch schedule` as a real process with a stand-in crawl (tests/test_schedule_daemon)."""
    yield from _harness(tmp_path, f"sqlite:///{tmp_path / 'brwatch.db'}")


@pytest.mark.slow
def test_a_hanging_webhook_holds_up_no_crawl(scheduler_harness: Harness, serve_site) -> None:  # type: ignore[no-untyped-def]
    """The notification job runs while a webhook hangs; crawls keep their schedule, the
    scheduler beats its heartbeat, and the digest goes out once the webhook answers."""
    from brwatch.schedule.heartbeats import heartbeats

    harness = scheduler_harness
    db = harness.db
    add_users(db)
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    hook = Webhook(delay=8)
    with webhook_server(hook):
        subscribe(db, "edith", webhook_url=hook.url)
        flagged(db, 1)
        harness.write_sources({"alpha": "every 2s"})
        harness.control({"alpha": {"url": site.url("/")}})
        scheduler = harness.start(
            notifications_every="every 1s",
            maintenance_time_limit="60",
        )
        assert wait_until(lambda: len(hook.posts) >= 1, 30), scheduler.output()
        # While the webhook holds its first request, crawls go on.
        posted_at = len(harness.runs("alpha", "ok"))
        harness.wait_for_runs(posted_at + 2, source="alpha", status="ok", timeout=30)
        assert [beat.role for beat in heartbeats(db)] == ["scheduler"]
        hook.delay = 0
        assert wait_until(lambda: any(d.status == "sent" for d in deliveries(db)), 60), (
            scheduler.output()
        )
        assert scheduler.stop() == 0, scheduler.output()
    assert heartbeats(db) == []  # a clean stop removes its heartbeat
    sent = [d for d in deliveries(db) if d.status == "sent"]
    assert len(sent) == 1
