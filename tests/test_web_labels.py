"""Stored codes shown in words: every obligation the rights engine knows has a translated label,
and every sentence template of the reuse gate is in the catalog, so the Chinese interface never
falls back to English."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from brwatch.rights.rules import OBLIGATION_ALIASES, OBLIGATIONS
from brwatch.web import i18n
from brwatch.web.labels import GATE_TEMPLATES, OBLIGATION_LABELS


def _gate_templates() -> set[str]:
    """Every template gate.py builds a sentence from: the first argument of each say(...) call,
    and the sentences of the dicts it picks one from."""
    # The module (the package's `gate` is the function of the same name).
    module = importlib.import_module("brwatch.reuse.gate")
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say":
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            names = {getattr(target, "id", None) for target in node.targets}
            if names & {"_OBLIGATION_NOTES", "messages"}:
                found.update(v.value for v in node.value.values if isinstance(v, ast.Constant))
    return found


def test_every_reuse_gate_sentence_is_listed_for_translation() -> None:
    templates = _gate_templates()
    assert len(templates) > 25
    assert templates == set(GATE_TEMPLATES)


def test_every_obligation_has_a_label_in_every_language() -> None:
    assert set(OBLIGATIONS) | set(OBLIGATION_ALIASES) <= set(OBLIGATION_LABELS)
    i18n.activate("zh_CN")
    try:
        for label in OBLIGATION_LABELS.values():
            assert i18n.gettext(label) != label, label
        for template in GATE_TEMPLATES:
            assert i18n.gettext(template) != template, template
    finally:
        i18n.activate("en")
