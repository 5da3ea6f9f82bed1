"""Evidence: the WARC export (warcio accepts it, digests are the ones recorded at fetch time, it
streams and is never left half-written) and the signed WACZ package of one article (wacz
validate accepts it, verification is documented and a changed byte fails it)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert
from warcio.archiveiterator import ArchiveIterator

from brwatch.evidence import (
    build_package,
    export_warc,
    init_key,
    load_public_key,
    load_signing_key,
    verify_package,
)
from brwatch.evidence.keys import strict_b64decode, verify_signature
from brwatch.evidence.warc import hex_of_label
from brwatch.storage import Database
from brwatch.storage.models import Article, AttributionCheck, AuditEvent, Snapshot
from brwatch.web import WebSettings, create_app
from tests.conftest import ROOT
from tests.web_data import add_users, login, make_client, verdict

BIN = Path(sys.executable).parent
FETCHED = datetime(2026, 11, 20, 9, 30, 15, 250000, tzinfo=UTC)
VERSION_1 = "<html><head><title>Port deal</title></head><body><p>Reproduction is not allowed" \
    " without permission.</p><p>一带一路 ünïcode</p></body></html>".encode()  # fmt: skip
VERSION_2 = VERSION_1.replace(b"Port deal", b"Port deal (updated)")


def add_captured_article(db: Database, n: int, source: str = "wire", **fields: object) -> int:
    """An article with two captures (the page changed between fetches), a check and decisions."""
    url = f"https://wire.example/news/{n}.html"
    with db.session() as session:
        article = Article(
            canonical_url=url,
            url=url,
            source=source,
            title=f"Port deal {n}",
            relevant=True,
            rights=verdict("prohibited"),
            rights_status="prohibited",
            ruleset="test-1",
            origin="Xinhua",
            attribution_link="missing",
            review_state="do_not_reuse",
            fetched_at=FETCHED + timedelta(days=1),
            **fields,
        )
        session.add(article)
        session.flush()
        for day, body in enumerate((VERSION_1, VERSION_2)):
            session.add(
                Snapshot(
                    article_id=article.id,
                    url=url,
                    status=200,
                    headers={"content-type": "text/html; charset=utf-8", "etag": f'"v{day}"'},
                    html_gz=gzip.compress(body),
                    sha256=hashlib.sha256(body).hexdigest(),
                    hints={"feed_rights": "© Wire", "title": f"Port deal {n}"},
                    fetched_at=FETCHED + timedelta(days=day),
                )
            )
        session.add(
            AttributionCheck(
                article_id=article.id, origin="Xinhua", outcome="missing", http_status=200
            )
        )
        session.add(
            AuditEvent(
                user="lena",
                entity="article",
                entity_id=article.id,
                action="decide",
                before={"state": "pending", "version": 1},
                after={"state": "do_not_reuse", "version": 2},
                note="the notice forbids it",
                at=FETCHED + timedelta(days=2),
            )
        )
        return article.id


def records(path: Path) -> list:
    with path.open("rb") as stream:
        return [
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
            for r in ArchiveIterator(stream)
        ]


# -- WARC export ---------------------------------------------------------------------------------


def test_warc_export_keeps_every_capture_as_fetched(db: Database, brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = add_captured_article(db, 1)
    add_captured_article(db, 2, source="other")
    out = tmp_path / "all.warc.gz"
    result = brwatch("--db", db.url, "export", "--warc", str(out))
    assert result.returncode == 0, result.stderr
    assert "4 snapshots" in result.stderr

    for tool in (["check", "-v"], ["index"]):
        run = subprocess.run([BIN / "warcio", *tool, str(out)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    assert subprocess.run([BIN / "warcio", "index", str(out)], capture_output=True,
                          text=True).stdout.count('"response"') == 4  # fmt: skip

    found = records(out)
    assert found[0][0] == "warcinfo"
    responses = [r for r in found if r[0] == "response"]
    metadata = [r for r in found if r[0] == "metadata"]
    assert len(responses) == len(metadata) == 4
    with db.session() as session:
        stored = {s.id: s for s in session.query(Snapshot).order_by(Snapshot.id)}
    for (_, headers, http, payload), snapshot in zip(responses, stored.values(), strict=True):
        # Never rewritten: the payload digest is the one recorded at fetch time, and the bytes.
        digest = hex_of_label(headers.get_header("WARC-Payload-Digest"))
        assert digest == snapshot.sha256 == hashlib.sha256(payload).hexdigest()
        assert payload == gzip.decompress(snapshot.html_gz)
        assert headers.get_header("WARC-Date") == snapshot.fetched_at.astimezone(UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
        assert headers.get_header("WARC-Target-URI") == snapshot.url
        assert http.statusline == "200 OK" and http.protocol == "HTTP/1.1"
        assert http.get_header("etag") == snapshot.headers["etag"]
    _, meta_headers, _, meta_body = metadata[0]
    assert meta_headers.get_header("WARC-Concurrent-To") == responses[0][1].get_header(
        "WARC-Record-ID"
    )
    meta = json.loads(meta_body)
    assert meta["article_id"] == first and meta["rights"]["status"] == "prohibited"
    assert meta["hints"]["feed_rights"] == "© Wire"


def test_pages_stored_by_the_pipeline_export_byte_for_byte(db: Database, tmp_path: Path) -> None:
    """From fetch to WARC: a GBK page with odd bytes comes out exactly as fetched, and the
    payload digest is the one the pipeline recorded when it fetched the page."""
    from brwatch.document import FetchedPage
    from brwatch.pipeline import process_page, store_processed

    html = "<html><head><title>一带一路港口</title></head><body><p>未经授权，禁止转载。</p>"
    raw = html.encode("gbk") + b"\r\n<!-- \x00\xfe\xff -->"
    fetched = FetchedPage(
        url="https://wire.example/gbk.html",
        body=raw,
        headers={"content-type": "text/html; charset=gbk", "etag": '"g1"'},
        fetched_at=FETCHED,
        source="wire",
    )
    processed = process_page(fetched)
    assert store_processed(db, processed) == "new"
    out = tmp_path / "gbk.warc.gz"
    assert export_warc(db, out).snapshots == 1
    (response,) = [r for r in records(out) if r[0] == "response"]
    _, headers, http, payload = response
    assert payload == raw
    assert hex_of_label(headers.get_header("WARC-Payload-Digest")) == processed.sha256
    assert http.get_header("content-type") == "text/html; charset=gbk"


def test_warc_export_chooses_sources_and_fetch_period(sqlite_db: Database, tmp_path: Path) -> None:
    add_captured_article(sqlite_db, 1)
    add_captured_article(sqlite_db, 2, source="other")
    out = tmp_path / "some.warc.gz"
    summary = export_warc(sqlite_db, out, sources=["other"], since="2026-11-21", until="2026-11-21")
    assert summary.snapshots == 1  # the second capture of "other" only
    (response,) = [r for r in records(out) if r[0] == "response"]
    assert response[3] == VERSION_2
    assert export_warc(sqlite_db, out, until="2026-11-20").snapshots == 2


def test_warc_export_bad_input_is_named(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'b.db'}"
    bad_date = brwatch("--db", db, "export", "--warc", str(tmp_path / "a.warc.gz"),
                       "--since", "last tuesday")  # fmt: skip
    assert bad_date.returncode == 2 and "cannot read 'last tuesday'" in bad_date.stderr
    no_folder = brwatch("--db", db, "export", "--warc", str(tmp_path / "nope" / "a.warc.gz"))
    assert no_folder.returncode == 2 and "does not exist" in no_folder.stderr
    bad_name = brwatch("--db", db, "export", "--warc", str(tmp_path / "a.zip"))
    assert bad_name.returncode == 2 and ".warc.gz" in bad_name.stderr
    assert "Traceback" not in bad_date.stderr + no_folder.stderr + bad_name.stderr


def test_a_changed_snapshot_is_reported_not_hidden(sqlite_db: Database, tmp_path: Path) -> None:
    add_captured_article(sqlite_db, 1)
    with sqlite_db.session() as session:
        snapshot = session.get(Snapshot, 1)
        snapshot.html_gz = gzip.compress(VERSION_1.replace(b"not allowed", b"allowed"))
    out = tmp_path / "x.warc.gz"
    summary = export_warc(sqlite_db, out)
    assert summary.mismatched == [1]
    check = subprocess.run([BIN / "warcio", "check", str(out)], capture_output=True, text=True)
    assert check.returncode != 0  # the recorded digest no longer matches the bytes


def _many_snapshots(db: Database, count: int, size: int = 2048) -> None:
    with db.session() as session:
        session.execute(
            insert(Article),
            [{"canonical_url": f"https://bulk.example/{i}", "url": f"https://bulk.example/{i}",
              "source": "bulk", "fetched_at": FETCHED, "first_seen_at": FETCHED,
              "updated_at": FETCHED} for i in range(count)],
        )  # fmt: skip
    rows = []
    with db.session() as session:
        for i in range(count):
            body = os.urandom(size // 2).hex().encode()
            rows.append(
                {"article_id": i + 1, "url": f"https://bulk.example/{i}", "status": 200,
                 "headers": {}, "html_gz": gzip.compress(body, 1),
                 "sha256": hashlib.sha256(body).hexdigest(), "fetched_at": FETCHED}
            )  # fmt: skip
            if len(rows) == 5000:
                session.execute(insert(Snapshot), rows)
                rows = []
        if rows:
            session.execute(insert(Snapshot), rows)


@pytest.mark.slow
def test_warc_export_memory_does_not_grow_with_the_number_of_snapshots(tmp_path: Path) -> None:
    peaks = {}
    for count in (2_000, 20_000):
        db = Database(f"sqlite:///{tmp_path / f'{count}.db'}")
        _many_snapshots(db, count)
        tracemalloc.start()
        summary = export_warc(db, tmp_path / f"{count}.warc.gz")
        peaks[count] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert summary.snapshots == count
        db.dispose()
    # Ten times the snapshots, about the same peak: the export streams.
    assert peaks[20_000] < peaks[2_000] * 1.5 + 2_000_000, peaks


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_export_leaves_no_file_under_the_final_name(
    tmp_path: Path, signum: int
) -> None:
    db_url = f"sqlite:///{tmp_path / 'big.db'}"
    db = Database(db_url)
    _many_snapshots(db, 20_000, size=8192)
    db.dispose()
    out = tmp_path / "out" / "big.warc.gz"
    out.parent.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "brwatch.cli", "--db", db_url, "export", "--warc", str(out)],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the export is well under way
        partial = [p for p in out.parent.iterdir() if p.name.endswith(".partial")]
        if partial and partial[0].stat().st_size > 1_000_000:
            break
        assert process.poll() is None, "the export ended before it could be interrupted"
        time.sleep(0.02)
    process.send_signal(signum)
    process.wait(timeout=30)
    assert process.returncode != 0
    assert not out.exists()
    if signum == signal.SIGTERM:  # cleaned up; a SIGKILL can only leave the hidden partial
        assert list(out.parent.iterdir()) == []
    else:
        assert all(p.name.startswith(".big.warc.gz.") for p in out.parent.iterdir())


# -- the signed WACZ package ---------------------------------------------------------------------


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "brwatch-signing-key.pem"
    path.parent.mkdir()
    init_key(path)
    return path


def test_evidence_package_validates_and_verifies(
    db: Database, brwatch, tmp_path: Path, key_file: Path
) -> None:  # type: ignore[no-untyped-def]
    article_id = add_captured_article(db, 1)
    add_captured_article(db, 2)
    out = tmp_path / "item.wacz"
    env = {"BRWATCH_SIGNING_KEY": str(key_file)}
    made = brwatch("--db", db.url, "evidence", "https://wire.example/news/1.html", "-o", str(out),
                   env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "2 captures" in made.stderr and made.stdout == ""
    assert (key_file.stat().st_mode & 0o777) == 0o600

    validate = subprocess.run([BIN / "wacz", "validate", "-f", str(out)], capture_output=True,
                              text=True)  # fmt: skip
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "passed WACZ is valid" in validate.stdout
    verified = brwatch("keys", "verify", str(out), env=env)
    assert verified.returncode == 0, verified.stderr
    assert "verified" in verified.stdout

    with zipfile.ZipFile(out) as wacz:
        captures = json.loads(wacz.read("evidence/captures.json"))
        decisions = json.loads(wacz.read("evidence/decisions.json"))
        verdict_doc = json.loads(wacz.read("evidence/verdict.json"))
        checks = json.loads(wacz.read("evidence/attribution.json"))
        warc = wacz.read("archive/captures.warc.gz")
        manifest = wacz.read("evidence/manifest-sha256.txt").decode()
    assert [c["sha256"] for c in captures] == [
        hashlib.sha256(VERSION_1).hexdigest(), hashlib.sha256(VERSION_2).hexdigest()
    ]  # fmt: skip
    (event,) = decisions["trail"]
    assert event["user"] == "lena" and event["after"]["state"] == "do_not_reuse"
    assert event["at"].startswith("2026-11-22T09:30:15")
    assert verdict_doc["rights"]["status"] == "prohibited"
    assert verdict_doc["rights"]["evidence"][0]["text"].startswith("Reproduction is not allowed")
    assert verdict_doc["reuse_rights"]["status"] == "prohibited"
    assert checks[0]["outcome"] == "missing"
    assert f"{hashlib.sha256(warc).hexdigest()}  archive/captures.warc.gz" in manifest
    assert article_id == 1


def _rewrite(package: Path, name: str, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the package with one entry's bytes changed."""
    tampered = package.with_name(f"tampered-{name.replace('/', '-')}.wacz")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, change(data) if info.filename == name else data)
    return tampered


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize(
    "entry",
    [
        "archive/captures.warc.gz",
        "evidence/decisions.json",
        "evidence/manifest-sha256.txt",
        "datapackage.json",
        "datapackage-digest.json",
    ],
)
def test_a_tampered_byte_fails_verification(
    sqlite_db: Database, tmp_path: Path, key_file: Path, entry: str
) -> None:
    add_captured_article(sqlite_db, 1)
    package = tmp_path / "item.wacz"
    build_package(
        sqlite_db, "https://wire.example/news/1.html", package, load_signing_key(key_file)
    )
    trusted = load_public_key(key_file.with_name("brwatch-signing-key.pub.pem"))
    assert verify_package(package, trusted).ok
    size = len(zipfile.ZipFile(package).read(entry))
    # Every byte of the small files, a spread of them in the WARC.
    positions = range(size) if size < 4000 else range(0, size, max(1, size // 100))
    for position in positions:
        tampered = _rewrite(package, entry, lambda data, at=position: _flip(data, at))
        result = verify_package(tampered, trusted)
        assert not result.ok, f"{entry}: a changed byte {position} passed"


def test_a_signature_is_accepted_only_in_its_canonical_base64(key_file: Path) -> None:
    """ECDSA signatures vary in length, so their base64 often ends in padding; the unused low
    bits of the character before it decode the same whatever they are. A verifier that only
    decodes let such a flipped byte pass (the byte-flip test above caught it once, by chance)."""
    key = load_signing_key(key_file)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for attempt in range(50):
        signature = key.sign(f"hash {attempt}")
        if signature.endswith("=") and not signature.endswith("=="):
            break
    else:
        pytest.fail("no signature with one '=' of padding in 50 tries")
    last = signature[-2]
    twin = signature[:-2] + alphabet[alphabet.index(last) ^ 0x01] + "="
    assert base64.b64decode(twin) == base64.b64decode(signature)  # the same bytes, spelt apart
    assert verify_signature(key.public, f"hash {attempt}", signature)
    assert not verify_signature(key.public, f"hash {attempt}", twin)
    with pytest.raises(ValueError):
        strict_b64decode(twin)


def test_a_package_signed_by_another_key_fails(
    sqlite_db: Database, tmp_path: Path, key_file: Path
) -> None:
    add_captured_article(sqlite_db, 1)
    other = init_key(tmp_path / "other.pem")
    package = tmp_path / "item.wacz"
    build_package(sqlite_db, "https://wire.example/news/1.html", package, other)
    result = verify_package(package, load_public_key(key_file))
    assert not result.ok and "another key" in result.problems[0]


def test_the_documented_openssl_check_verifies_the_signature(
    sqlite_db: Database, tmp_path: Path, key_file: Path
) -> None:
    """docs/evidence.md: verifying without brwatch, with unzip-free Python and openssl."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is part of every Debian system"
    add_captured_article(sqlite_db, 1)
    package = tmp_path / "item.wacz"
    build_package(
        sqlite_db, "https://wire.example/news/1.html", package, load_signing_key(key_file)
    )
    with zipfile.ZipFile(package) as wacz:
        digest = json.loads(wacz.read("datapackage-digest.json"))
        datapackage = wacz.read("datapackage.json")
    assert digest["hash"] == "sha256:" + hashlib.sha256(datapackage).hexdigest()
    (tmp_path / "hash.txt").write_text(digest["signedData"]["hash"])
    (tmp_path / "sig.der").write_bytes(base64.b64decode(digest["signedData"]["signature"]))
    public = key_file.with_name("brwatch-signing-key.pub.pem")
    command = [openssl, "dgst", "-sha256", "-verify", str(public), "-signature", "sig.der",
               "hash.txt"]  # fmt: skip
    good = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert good.returncode == 0 and "Verified OK" in good.stdout
    (tmp_path / "hash.txt").write_text(digest["signedData"]["hash"][:-1] + "0")
    bad = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0
    doc = (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")
    assert "openssl dgst -sha256 -verify" in doc


def test_evidence_bad_input_is_named(brwatch, tmp_path: Path, key_file: Path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'b.db'}"
    env = {"BRWATCH_SIGNING_KEY": str(key_file)}
    unknown = brwatch("--db", db, "evidence", "https://nowhere.example/x", "-o", "x.wacz", env=env)
    assert unknown.returncode == 2 and "no stored article at https://nowhere.example/x" in (
        unknown.stderr
    )
    no_key = brwatch("--db", db, "evidence", "https://a.example/", "-o", "x.wacz",
                     env={"BRWATCH_SIGNING_KEY": str(tmp_path / "missing.pem")})  # fmt: skip
    assert no_key.returncode == 2 and "brwatch keys init" in no_key.stderr
    again = brwatch("keys", "init", env=env)
    assert again.returncode == 2 and "already exists" in again.stderr
    not_a_package = tmp_path / "junk.wacz"
    not_a_package.write_bytes(b"PK\x03\x04 not really")
    junk = brwatch("keys", "verify", str(not_a_package), env=env)
    assert junk.returncode == 1 and "not a readable WACZ" in junk.stderr
    assert not list(tmp_path.glob("x.wacz"))
    for result in (unknown, no_key, again, junk):
        assert "Traceback" not in result.stderr


def test_legal_downloads_the_package_from_the_item_page(sqlite_db: Database, key_file: Path,
                                                        tmp_path: Path) -> None:  # fmt: skip
    add_users(sqlite_db)
    article_id = add_captured_article(sqlite_db, 1)
    app = create_app(sqlite_db, WebSettings(secret_key="t", signing_key=str(key_file)))
    legal, editor = make_client(app), make_client(app)
    login(legal, "lena")
    login(editor, "edith")
    page = legal.get(f"/items/{article_id}").text
    assert f'href="/items/{article_id}/evidence"' in page
    assert "/evidence" not in editor.get(f"/items/{article_id}").text
    response = legal.get(f"/items/{article_id}/evidence")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/wacz"
    assert f'filename="item-{article_id}.wacz"' in response.headers["content-disposition"]
    package = tmp_path / "download.wacz"
    package.write_bytes(response.content)
    assert verify_package(package, load_public_key(key_file)).ok
    assert editor.get(f"/items/{article_id}/evidence").status_code == 403
    missing = legal.get("/items/9999/evidence")
    assert missing.status_code == 404
