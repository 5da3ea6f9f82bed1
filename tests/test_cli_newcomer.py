"""The newcomer's path through the CLI: every "Next:" hint of the demo works as printed and its
numbers are the queue's, the API's, export's, the gate's and the report's; global options after
the verb; `| head` without a traceback; no terminal control characters from pages; docs that
stand on their own."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from brwatch.storage import Database
from brwatch.storage.models import CrawlRun, User
from tests.conftest import ROOT
from tests.web_data import password_hash

DEMO_PASSWORD = "a long demo password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(printed: str) -> list[str]:
    """A printed `brwatch …` line as the process it starts (this interpreter's brwatch)."""
    words = shlex.split(printed)
    assert words[0] == "brwatch", printed
    return [sys.executable, "-m", "brwatch.cli", *words[1:]]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRWATCH_DB")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _log_in(base: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=True, timeout=30)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    answer = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": "/queue"}
    )
    assert answer.url.path == "/queue", answer.text[:500]
    return client


def _flagged_table(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("flagged for review"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Next:"))
    return [line for line in lines[start:end] if line.strip()]


@pytest.mark.slow
def test_the_demo_agrees_with_every_surface_and_each_hint_works_as_printed(
    tmp_path: Path,
) -> None:
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    demo = subprocess.run(
        [sys.executable, "-m", "brwatch.cli", "demo"],
        cwd=here,
        env=_clean_env(COLUMNS="80"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout

    # At 80 columns the last table keeps every cell readable: no line wider than the terminal,
    # status codes and source names whole.
    table = _flagged_table(out)
    assert all(len(line) <= 80 for line in table), table
    text = "\n".join(table)
    # 6 of the 9 flagged (4 prohibited, 4 permission required, 1 attribution required) are
    # shown, so both of the first appear; every status code is whole, never folded.
    assert "prohibited" in text and "permission_required" in text
    codes = re.findall(r"\b(?:prohibit|permission|attribution|open_lic)\w*", text)
    assert set(codes) <= {"prohibited", "permission_required", "attribution_required"}, codes
    for source in ("demo-silkroad-daily", "demo-reprint-en"):
        assert source in text

    flat = " ".join(out.split())  # the summary lines may wrap at 80 columns
    flagged = int(re.search(r"(\d+) flagged for review", flat).group(1))  # type: ignore[union-attr]
    statuses_line = re.search(
        r"reuse verdicts of the articles about the Belt and Road: ((?:\w+ \d+(?:, )?)+)", flat
    )
    printed_statuses = {
        status: int(n)
        for status, n in re.findall(r"(\w+) (\d+)", statuses_line.group(1))  # type: ignore[union-attr]
    }
    hints = [line.strip() for line in out.split("Next:", 1)[1].splitlines()]
    commands = [line for line in hints if line.startswith("brwatch ")]
    assert len(commands) >= 9

    run = {}
    for printed in commands:
        words = shlex.split(printed)
        if "serve" in words or "--serve-only" in words:
            continue
        given = DEMO_PASSWORD + "\n" if "users" in words else None
        result = subprocess.run(
            _command(printed),
            cwd=elsewhere,
            env=_clean_env(),
            input=given,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (printed, result.stderr)
        run[printed] = result
    assert not (elsewhere / "brwatch.db").exists()  # every hint named the demo's database
    assert (elsewhere / "report.html").is_file()

    # export, as printed: the relevant articles and their reuse verdicts.
    export = next(r for p, r in run.items() if p.endswith("export --json"))
    lines = [json.loads(line) for line in export.stdout.splitlines()]
    assert dict(Counter(line["rights"]["status"] for line in lines)) == printed_statuses

    db_url = re.search(r"--db (\S+)", commands[0]).group(1)  # type: ignore[union-attr]
    db = Database(db_url)
    from brwatch.reports import build_report
    from brwatch.reuse import check_reuse, parse_draft

    report = build_report(db, None, None)
    assert report.totals["flagged"] == flagged
    assert {s: n for s, n in report.totals["by_status"].items() if n} == printed_statuses
    draft = parse_draft("A draft that credits nobody.", "draft.txt")
    for line in lines:
        assert check_reuse(db, line["url"], draft).status == line["rights"]["status"], line["url"]
    db.dispose()

    # serve, as printed (on a free port), and log in with the account the hint before made.
    serve_line = next(p for p in commands if shlex.split(p)[-1] == "serve")
    port = _free_port()
    server = subprocess.Popen(
        _command(serve_line),
        cwd=elsewhere,
        env=_clean_env(BRWATCH_PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _healthy(base) or server.poll() is not None, "brwatch serve")
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        user = re.search(r"users add (\S+)", "\n".join(commands)).group(1)  # type: ignore[union-attr]
        client = _log_in(base, user, DEMO_PASSWORD)
        queue = client.get("/api/queue").json()
        assert queue["total"] == flagged
        counted = {s: n for s, n in queue["counts"]["rights_status"].items()}
        assert counted == {s: n for s, n in printed_statuses.items() if s in counted}
        for row in queue["items"]:
            item = client.get(f"/api/items/{row['id']}").json()
            assert item["rights"]["status"] == row["rights_status"]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

    # demo --serve-only, as printed: serves until Ctrl-C.
    only = next(p for p in commands if "--serve-only" in p)
    sites = subprocess.Popen(
        _command(only),
        cwd=elsewhere,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sites.stdout is not None
        for line in sites.stdout:
            if "press Ctrl-C to stop" in line:
                break
        sites.send_signal(signal.SIGINT)
        assert sites.wait(timeout=30) == 0
    finally:
        if sites.poll() is None:
            sites.kill()
            sites.wait()


def test_global_options_are_accepted_after_the_verb(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'after.db'}"
    added = brwatch(
        "users", "add", "tina", "--role", "editor", "--db", db_url, input="a long password\n"
    )
    assert added.returncode == 0, added
    listed = brwatch("users", "list", "--json", "--db", db_url)
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["tina"]
    exported = brwatch("export", "--db", db_url, "--json", "-v")
    assert exported.returncode == 0, exported
    assert "INFO" in exported.stderr  # -v after the verb counts too
    # After the verb wins over before it.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    runs = brwatch("--db", other, "runs", "--db", db_url)
    assert runs.returncode == 0, runs
    assert not (tmp_path / "brwatch.db").exists() and not (tmp_path / "other.db").exists()


@pytest.mark.parametrize("verb", ["users", "runs"])
def test_piping_json_into_head_prints_no_traceback(verb: str, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'many.db'}"
    db = Database(db_url)
    with db.session() as session:
        if verb == "users":
            session.add_all(
                User(name=f"user{n:05d}", role="editor", password_hash=password_hash())
                for n in range(3000)
            )
        else:
            started = datetime(2026, 11, 1, tzinfo=UTC)
            session.add_all(
                CrawlRun(source=f"source-{n}", status="ok", started_at=started, finished_at=started)
                for n in range(3000)
            )
    db.dispose()
    args = ["users", "list", "--json"] if verb == "users" else ["runs", "--json", "--limit", "0"]
    brwatch_line = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "brwatch.cli", *args])
    piped = subprocess.run(
        [
            "bash",
            "-c",
            f"{brwatch_line} --db {shlex.quote(db_url)} | head -1; echo ${{PIPESTATUS[0]}}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    first, status = piped.stdout.splitlines()
    assert json.loads(first)
    assert piped.stderr == "", piped.stderr
    assert status == "0"


EVIL_PAGE = """<html><head><title>Corridor\x1b]0;owned\x07 talks\x1b[2J\x9b31m open</title></head>
<body><article><h1>Corridor\x1b]0;owned\x07 talks\x1b[2J open</h1>
<p>The Belt and Road rail corridor opened to freight this week, officials said.</p>
<p>Source: Xinhua\x1b[5m. Reproduction is not allowed without permission.\x1b[0m\x1b]8;;http://evil.example\x1b\\\\click\x1b]8;;\x1b\\\\</p>
</article></body></html>"""


def test_check_prints_no_terminal_control_characters_from_a_page(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "evil.html"
    page.write_text(EVIL_PAGE, encoding="utf-8")
    plain = brwatch("check", str(page))
    assert plain.returncode == 0, plain
    assert "owned" in plain.stdout and "prohibited" in plain.stdout
    for text in (plain.stdout, plain.stderr):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), repr(text)
    # With colours on, the only escape sequences are rich's own styling.
    coloured = brwatch("check", str(page), env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in coloured.stdout  # styled
    for sequence in ("\x1b]0;", "\x1b[2J", "\x07", "\x9b", "\x1b[5m", "\x1b]8;"):
        assert sequence not in coloured.stdout, repr(sequence)
    as_json = brwatch("check", "--json", str(page))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", as_json.stdout)
    title = json.loads(as_json.stdout)["article"]["title"]
    assert "\x9b" in title or "\x1b" in title  # the value itself is kept, escaped in the JSON


def test_the_docs_stand_alone() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/DESIGN" not in text, page
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            assert (page.parent / target).exists(), f"{page.name}: {target}"
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for contract in ("## Command line", "`check --json` object", "`export --json` line",
                     "## Sources file (contract)", "## The reuse verdict"):  # fmt: skip
        assert contract in design
    research = (ROOT / "docs" / "sources-research.md").read_text(encoding="utf-8")
    bundled = ROOT / "crawler" / "sources.yaml"
    cited = set(re.findall(r"§(\d+)", bundled.read_text()))
    for section in cited:
        assert f"### {section}. " in research, section
