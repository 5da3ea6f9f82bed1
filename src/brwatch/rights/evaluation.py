"""Accuracy of the rights engine on labelled real pages and notices.

Two labelled sets live in ``tests/data/rights/``:

- the development set the rules were written against: ``pages.yaml``, ``pages-heldout.yaml``
  (whole corpus pages) and ``fragments.yaml`` (markup cut from corpus pages, mostly hard
  negatives);
- ``unseen/``: real notices and pages from other repositories, which the rules were not written
  from, split once into a ``dev`` half (read while working on the rules) and a ``test`` half
  (scored only when a change is finished). Its README says how it was built and labelled.

Every item is judged as the crawler judges a page: parsed, its article extracted, then the
verdict read from the lxml tree. A naive keyword list is scored beside the engine as the
baseline. ``benchmarks/rights_accuracy.py`` prints the report; the test suite gates on floors.
"""

from __future__ import annotations

import gzip
import html
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from brwatch.document import Document, parse_document
from brwatch.document.plain import html_from_text
from brwatch.extract import extract_article
from brwatch.rights.engine import verdict_for
from brwatch.rights.model import STATUSES
from brwatch.rights.reader import LxmlPageReader

RESTRICTED = frozenset({"prohibited", "permission_required"})
# Floors the suite enforces on the development set.
MIN_RESTRICTION_RECALL = 0.98
MAX_HARD_NEGATIVE_RESTRICTED = 0.03
MIN_EXACT = 0.92
SPLITS = ("dev", "test")
PLACEMENTS = (
    "own_paragraph",
    "paragraph_tail",
    "footer",
    "caption",
    "byline",
    "heading",
    "link",
    "plain_text",
)


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled item: a corpus page, a fragment of one, a notice, or an unseen page."""

    file: str
    lang: str
    status: str
    note: str = ""
    hard_negative: bool = False
    # For fragments: the markup cut from the page; evaluated alone as a small page.
    html: str | None = None
    # For notices: the text and where it sat on its page.
    text: str | None = None
    placement: str | None = None
    license: str | None = None
    requires_link: bool | None = None
    split: str | None = None
    kind: str = "page"  # page | fragment | notice


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Labelled
    predicted: str
    license: str | None = None
    requires_link: bool = False
    baseline: str = "unknown"
    evidence: tuple[str, ...] = field(default=())


def load_labels(path: Path) -> list[Labelled]:
    """The development set's labels (pages, held-out pages or fragments)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    labelled = [
        Labelled(**item, kind="fragment" if item.get("html") is not None else "page")
        for item in items
    ]
    _check_statuses(path, labelled)
    return labelled


def load_unseen(directory: Path) -> list[Labelled]:
    """Every notice and page of the unseen set, with its split."""
    labelled: list[Labelled] = []
    for path in sorted(directory.glob("*.yaml")):
        if not path.name.startswith(("notices-", "pages-")):
            continue
        notices = path.name.startswith("notices-")
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            labelled.append(
                Labelled(
                    file=entry["id"] if notices else entry["file"],
                    lang=str(entry["lang"]),
                    status=entry["status"],
                    note=str(entry.get("note") or ""),
                    hard_negative=bool(entry.get("hard_negative")),
                    text=entry.get("text") if notices else None,
                    placement=entry.get("placement") if notices else None,
                    license=entry.get("license"),
                    requires_link=bool(entry.get("requires_link")),
                    split=entry.get("split"),
                    kind="notice" if notices else "page",
                )
            )
        _check_statuses(path, labelled)
    return labelled


def _check_statuses(path: Path, labelled: list[Labelled]) -> None:
    bad = [item.file for item in labelled if item.status not in STATUSES]
    if bad:
        raise ValueError(f"{path}: unknown status for {bad}")


def document_for(item: Labelled, corpora: Path) -> Document:
    """A development-set item as a parsed page."""
    if item.html is not None:
        return parse_document(f"<html><body>{item.html}</body></html>", "")
    return parse_document(gzip.decompress((corpora / item.file).read_bytes()), "")


def unseen_document(item: Labelled, directory: Path, neutral: dict[str, Any]) -> Document:
    """An unseen-set item as a parsed page: a saved page as it is, a notice placed in a
    neutral article where it was found."""
    if item.kind == "page":
        return parse_document(gzip.decompress((directory / item.file).read_bytes()), "")
    filler = neutral.get(item.lang) or neutral.get(item.lang.split("-")[0]) or neutral["en"]
    if item.placement == "plain_text":
        text = "\n\n".join([filler["title"], *filler["paragraphs"], item.text or ""])
        return parse_document(html_from_text(text.encode("utf-8")), "")
    return parse_document(notice_page(item.text or "", item.placement or "", filler), "")


def notice_page(notice: str, placement: str, filler: dict[str, Any]) -> str:
    """A neutral news page with ``notice`` where it was found on its own page."""
    note = html.escape(notice, quote=False)
    paragraphs = [html.escape(p, quote=False) for p in filler["paragraphs"]]
    byline = '<p class="byline">Staff reporter</p>'
    heading = ""
    figure = ""
    footer_extra = ""
    if placement == "paragraph_tail":
        paragraphs[-1] = f"{paragraphs[-1]} {note}"
    elif placement == "own_paragraph":
        paragraphs.append(note)
    elif placement == "caption":
        figure = f'<figure><img src="/photo.jpg" alt=""><figcaption>{note}</figcaption></figure>'
    elif placement == "byline":
        byline += f"<p>{note}</p>"
    elif placement == "heading":
        heading = f"<h2>{note}</h2>"
    elif placement == "link":
        footer_extra = f'<a href="/about/rights">{note}</a> | '
    elif placement == "footer":
        footer_extra = f"<p>{note}</p>"
    else:
        raise ValueError(f"unknown placement {placement!r}")
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:2])
    body += heading + figure + "".join(f"<p>{p}</p>" for p in paragraphs[2:])
    title = html.escape(filler["title"], quote=False)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        '<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>'
        f"<main><article><h1>{title}</h1>{byline}{body}</article></main>"
        f'<footer>{footer_extra}<a href="/about">About us</a> | <a href="/contact">Contact</a>'
        "</footer></body></html>"
    )


def judge(doc: Document) -> tuple[Any, str]:
    """The verdict as the crawler gets it (article extracted, lxml tree read), and the page's
    visible text for the baseline."""
    try:
        article = extract_article(doc)
    except Exception:  # the crawler, too, judges a page whose extraction failed
        article = None
    text = " ".join(doc.tree.xpath("//body//text()[not(ancestor::script or ancestor::style)]"))
    return verdict_for(doc, article, reader=LxmlPageReader(doc)), text


def evaluate(items: Iterable[Labelled], corpora: Path) -> list[Outcome]:
    """Outcomes for development-set items."""
    return [_outcome(item, document_for(item, corpora)) for item in items]


def evaluate_unseen(items: Iterable[Labelled], directory: Path) -> list[Outcome]:
    neutral = yaml.safe_load((directory / "neutral.yaml").read_text(encoding="utf-8"))
    return [_outcome(item, unseen_document(item, directory, neutral)) for item in items]


def _outcome(item: Labelled, doc: Document) -> Outcome:
    verdict, text = judge(doc)
    return Outcome(
        item,
        verdict.status,
        verdict.license,
        verdict.requires_link,
        naive_status(text),
        tuple(f"{e.rule_id}:{e.scope}" for e in verdict.evidence),
    )


# The baseline: a keyword list anyone would write first. Words of a ban make the page
# prohibited, any other rights word permission_required, licence words open.
_NAIVE_PUBLIC = ("public domain", "cc0", "domaine public", "dominio público", "domínio público")
_NAIVE_OPEN = ("creative commons", "creativecommons.org", "知识共享", "cc by", "cc-by")
_NAIVE_BANNED = (
    "without permission", "not be reproduced", "prohibited", "禁止转载", "不得转载", "禁止轉載",
    "不得轉載", "перепечатка запрещена", "запрещен", "reproduction interdite", "prohibida",
    "proibida", "無断転載", "무단", "يحظر", "يمنع",
)  # fmt: skip
_NAIVE_CLAIMED = (
    "copyright", "©", "all rights reserved", "reproduction", "republish", "reprint", "版权",
    "版權", "转载", "轉載", "著作权", "著作權", "перепечат", "права защищены", "копирован",
    "حقوق", "محفوظة", "derechos reservados", "reproducción", "droits réservés",
    "direitos reservados", "reprodução", "rechte vorbehalten", "riproduzione", "telif",
)  # fmt: skip


def naive_status(text: str) -> str:
    lowered = text.lower()
    for words, status in (
        (_NAIVE_PUBLIC, "public_domain"),
        (_NAIVE_OPEN, "open_license"),
        (_NAIVE_BANNED, "prohibited"),
        (_NAIVE_CLAIMED, "permission_required"),
    ):
        if any(word in lowered for word in words):
            return status
    return "unknown"


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _macro_f1(pairs: list[tuple[str, str]]) -> float | None:
    """Mean F1 over the statuses that occur among the labels."""
    labels = {label for label, _ in pairs}
    scores = []
    for status in labels:
        correct = sum(label == predicted == status for label, predicted in pairs)
        predicted = sum(p == status for _, p in pairs)
        expected = sum(label == status for label, _ in pairs)
        precision = correct / predicted if predicted else 0.0
        recall = correct / expected if expected else 0.0
        scores.append(2 * precision * recall / (precision + recall) if correct else 0.0)
    return sum(scores) / len(scores) if scores else None


def _headline(outcomes: list[Outcome], predicted: Any) -> dict[str, float | None]:
    """The issue's measures for one predictor (the engine, or the baseline)."""
    restricted = [o for o in outcomes if o.item.status in RESTRICTED]
    # Hard negatives whose page is not restricted by anything else: restricting them is wrong.
    hard = [o for o in outcomes if o.item.hard_negative and o.item.status not in RESTRICTED]
    return {
        "restriction_recall": _ratio(
            sum(predicted(o) in RESTRICTED for o in restricted), len(restricted)
        ),
        "hard_negative_restricted": _ratio(
            sum(predicted(o) in RESTRICTED for o in hard), len(hard)
        ),
        "exact": _ratio(sum(predicted(o) == o.item.status for o in outcomes), len(outcomes)),
        "macro_f1": _macro_f1([(o.item.status, predicted(o)) for o in outcomes]),
    }


def score(outcomes: list[Outcome]) -> dict[str, Any]:
    """Headline rates for the engine and the baseline, and precision/recall per status and
    per language."""
    licensed = [o for o in outcomes if o.item.license]
    linked = [o for o in outcomes if o.item.requires_link]
    report: dict[str, Any] = {
        "items": len(outcomes),
        "hard_negatives": sum(o.item.hard_negative for o in outcomes),
        **_headline(outcomes, lambda o: o.predicted),
        "spdx": _ratio(sum(o.license == o.item.license for o in licensed), len(licensed)),
        "licensed": len(licensed),
        "requires_link_recall": _ratio(sum(o.requires_link for o in linked), len(linked)),
        "linked": len(linked),
        "baseline": _headline(outcomes, lambda o: o.baseline),
        "by_status": {},
        "by_language": {},
    }
    for status in STATUSES:
        expected = sum(o.item.status == status for o in outcomes)
        predicted = sum(o.predicted == status for o in outcomes)
        correct = sum(o.item.status == status == o.predicted for o in outcomes)
        if expected or predicted:
            report["by_status"][status] = {
                "expected": expected,
                "predicted": predicted,
                "precision": _ratio(correct, predicted),
                "recall": _ratio(correct, expected),
            }
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_lang[outcome.item.lang].append(outcome)
    for lang, group in sorted(by_lang.items()):
        flagged = [o for o in group if o.item.status in RESTRICTED]
        predicted_restricted = [o for o in group if o.predicted in RESTRICTED]
        report["by_language"][lang] = {
            "items": len(group),
            "exact": _ratio(sum(o.predicted == o.item.status for o in group), len(group)),
            "baseline_exact": _ratio(sum(o.baseline == o.item.status for o in group), len(group)),
            "restriction_precision": _ratio(
                sum(o.item.status in RESTRICTED for o in predicted_restricted),
                len(predicted_restricted),
            ),
            "restriction_recall": _ratio(
                sum(o.predicted in RESTRICTED for o in flagged), len(flagged)
            ),
        }
    return report


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


# (measure, report key, target text)
_MEASURES = (
    ("restrictions found", "restriction_recall", "≥ 98%"),
    (
        "false restrictions (unrestricted hard negatives restricted)",
        "hard_negative_restricted",
        "≤ 3%",
    ),
    ("exact status", "exact", "≥ 93%"),
    ("macro-F1 over statuses", "macro_f1", "≥ 90%"),
)


def report_markdown(report: dict[str, Any], misses: list[Outcome]) -> str:
    base = report["baseline"]
    lines = [
        f"Labelled items: {report['items']} ({report['hard_negatives']} hard negatives)",
        "",
        _row("measure", "brwatch", "naive keywords", "target"),
        _row("---", "---", "---", "---"),
    ]
    for name, key, target in _MEASURES:
        lines.append(_row(name, _pct(report[key]), _pct(base[key]), target))
    lines += [
        _row(f"SPDX licence right ({report['licensed']} licensed)", _pct(report["spdx"]), "–",
             "≥ 90%"),
        _row(f"requires_link found ({report['linked']} demand a link)",
             _pct(report["requires_link_recall"]), "–", "≥ 90%"),
        "",
        _row("status", "labelled", "predicted", "precision", "recall"),
        _row("---", "---", "---", "---", "---"),
    ]  # fmt: skip
    for status, row in report["by_status"].items():
        lines.append(
            _row(status, row["expected"], row["predicted"], _pct(row["precision"]),
                 _pct(row["recall"]))
        )  # fmt: skip
    lines += [
        "",
        _row("language", "items", "exact", "naive exact", "restriction precision",
             "restriction recall"),
        _row("---", "---", "---", "---", "---", "---"),
    ]  # fmt: skip
    for lang, row in report["by_language"].items():
        lines.append(
            _row(lang, row["items"], _pct(row["exact"]), _pct(row["baseline_exact"]),
                 _pct(row["restriction_precision"]), _pct(row["restriction_recall"]))
        )  # fmt: skip
    if misses:
        lines += ["", "Disagreements (labelled -> predicted):", ""]
        lines += [_miss(m) for m in misses]
    return "\n".join(lines)


def _miss(outcome: Outcome) -> str:
    item = outcome.item
    where = f" [{item.placement}]" if item.placement else ""
    said = (item.text or item.note or "")[:160].replace("\n", " ")
    extra = ""
    if item.license and outcome.license != item.license:
        extra += f" licence {outcome.license} (want {item.license})"
    if item.requires_link and not outcome.requires_link:
        extra += " link demand missed"
    return (
        f"- `{item.file}`{where} {item.status} -> {outcome.predicted}{extra}: {said} "
        f"({', '.join(outcome.evidence[:6]) or 'no evidence'})"
    )
