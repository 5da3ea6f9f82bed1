"""`brwatch check TARGET…`: the rights verdict for files, URLs or `-` (stdin).

URLs go through the safe fetcher (public addresses only). An unreadable target is reported,
the others are still checked, and the exit code is non-zero at the end.
"""

from __future__ import annotations

import argparse
import logging
import sys
import zlib
from pathlib import Path
from typing import Any

from brwatch.cli._common import console, console_err, print_json_line, safe
from brwatch.document import Document, parse_document
from brwatch.document.plain import html_from_text, input_kind
from brwatch.extract import extract_article
from brwatch.rights import Verdict, verdict_for
from brwatch.rights.page import page_text

log = logging.getLogger(__name__)

EXIT_UNREADABLE = 1
# Far more than any page brwatch reads (the crawler's download cap is 8 MiB).
MAX_GUNZIPPED_BYTES = 32_000_000
_CONTEXT = 60
_STATUS_STYLE = {
    "prohibited": "bold red",
    "permission_required": "yellow",
    "attribution_required": "cyan",
    "open_license": "green",
    "public_domain": "green",
    "unknown": "dim",
}
_PAGE_SCOPES = ("body", "tail", "footer")
_REFUSED_INPUT = {
    "empty": "empty input: nothing to check",
    "binary": "binary data: neither an HTML page nor text",
}


class TargetError(Exception):
    """A target that could not be read; the message says which and why."""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "check", help="rights verdict for files, URLs or - (stdin)", description=__doc__
    )
    parser.add_argument(
        "targets", nargs="+", metavar="TARGET", help="file, http(s) URL, or - for stdin"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per target per line")
    parser.set_defaults(handler=run)


def _read(target: str) -> tuple[bytes, str, dict[str, str]]:
    """-> (body, url, headers); raises TargetError with the reason."""
    if target == "-":
        return sys.stdin.buffer.read(), "", {}
    if target.lower().startswith(("http://", "https://")):
        # Imported here: only URL targets need the network stack.
        from brwatch.fetch import FetchError, SafeFetcher

        try:
            response = SafeFetcher().get(target)
        except FetchError as exc:
            raise TargetError(f"cannot fetch: {exc.reason}") from exc
        if response.status >= 400:
            raise TargetError(f"HTTP {response.status} from {response.final_url}")
        return response.body, response.final_url, response.headers
    path = Path(target)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise TargetError(f"cannot read file: {exc.strerror or exc}") from exc
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    return body, "", {}


def _gunzip(body: bytes) -> bytes:
    """A gzip file's content, refused past MAX_GUNZIPPED_BYTES (a 4 MB gzip bomb holds
    gigabytes)."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        content = decoder.decompress(body, MAX_GUNZIPPED_BYTES + 1)
    except zlib.error as exc:
        raise TargetError(f"broken gzip file: {exc}") from exc
    if len(content) > MAX_GUNZIPPED_BYTES:
        raise TargetError(
            f"the gzip file holds more than {MAX_GUNZIPPED_BYTES // 1_000_000} MB: not a page"
        )
    if not decoder.eof:
        raise TargetError("broken gzip file: it ends before its data does")
    return content


def _article_part(doc: Document) -> tuple[dict[str, Any], Any]:
    try:
        article = extract_article(doc)
    except Exception as exc:  # extraction must never cost the rights verdict
        log.warning("article extraction failed for %s: %s", doc.url or "input", exc)
        title = doc.tree.findtext(".//title")
        fields: dict[str, Any] = {"title": title.strip() if title else None, "published": None,
                                  "lang": None, "authors": [], "canonical_url": None}  # fmt: skip
        return fields, None
    data = article.to_dict()
    return {
        key: data.get(key) for key in ("title", "published", "lang", "authors", "canonical_url")
    }, article


def check_target(target: str) -> tuple[dict[str, Any], Document | None, Verdict | None]:
    """The check --json object for one target, with the document and verdict for display."""
    try:
        body, url, headers = _read(target)
    except TargetError as exc:
        return {"target": target, "error": str(exc)}, None, None
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type")
    kind = input_kind(body, content_type)
    if kind in _REFUSED_INPUT:
        return {"target": target, "error": _REFUSED_INPUT[kind]}, None, None
    if kind == "text":
        doc = parse_document(html_from_text(body), url, headers=headers)
    else:
        doc = parse_document(body, url, headers=headers)
    article_fields, article = _article_part(doc)
    verdict = verdict_for(doc, article)
    result = {
        "target": target,
        "url": url or None,
        "rights": verdict.to_dict(),
        "article": article_fields,
    }
    return result, doc, verdict


def run(args: argparse.Namespace) -> int:
    failures = 0
    for target in args.targets:
        result, doc, verdict = check_target(target)
        if "error" in result:
            failures += 1
        if args.json:
            print_json_line(result)
        elif "error" in result:
            console_err.print(f"[bold red]{safe(target)}[/]: {safe(result['error'])}")
        else:
            _print_summary(result, doc, verdict)  # type: ignore[arg-type]
    return EXIT_UNREADABLE if failures else 0


def _print_summary(result: dict[str, Any], doc: Document, verdict: Verdict) -> None:
    style = _STATUS_STYLE.get(verdict.status, "")
    title = result["article"].get("title") or ""
    console.rule(f"{safe(result['target'])}")
    if title:
        console.print(f"[bold]{safe(title)}[/]")
    console.print(
        f"status: [{style}]{safe(verdict.status)}[/]"
        + ("  [bold magenta]CONFLICT[/]" if verdict.conflict else "")
    )
    for label, value in (
        ("licence", verdict.license),
        ("credit", verdict.credit),
        ("origin", verdict.origin),
    ):
        if value:
            console.print(f"{label}: {safe(value)}")
    if verdict.obligations:
        console.print("obligations: " + safe(", ".join(verdict.obligations)))
    if verdict.requires_link:
        console.print("a link to the original is required")
    text = (
        page_text(doc.tree).text if any(e.scope in _PAGE_SCOPES for e in verdict.evidence) else ""
    )
    for evidence in verdict.evidence:
        where = f"[dim]{evidence.scope:>6} {safe(evidence.rule_id)}[/]"
        mark = (
            f"[{_STATUS_STYLE.get(evidence.status or '', 'bold')}]" if evidence.status else "[bold]"
        )
        if evidence.scope in _PAGE_SCOPES and text:
            before = " ".join(text[max(0, evidence.start - _CONTEXT) : evidence.start].split())
            found = " ".join(text[evidence.start : evidence.end].split())
            after = " ".join(text[evidence.end : evidence.end + _CONTEXT].split())
            console.print(f"  {where}  …{safe(before)} {mark}{safe(found)}[/] {safe(after)}…")
        else:
            console.print(f"  {where}  {mark}{safe(evidence.text)}[/]")
