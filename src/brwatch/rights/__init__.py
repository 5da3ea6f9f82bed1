"""The rights engine: may this page be reprinted, and on what terms?

``verdict_for(doc)`` reads a parsed page (its visible text, meta tags, licence links,
JSON-LD/microdata, HTTP headers and the feed's rights line) against the rules in
``rules/rights/*.yaml`` and returns a :class:`Verdict` in the DESIGN.md shape.
"""

from brwatch.rights.engine import verdict_for, verdict_for_text
from brwatch.rights.model import STATUSES, Evidence, Verdict
from brwatch.rights.rules import Rule, RulesError, Ruleset, load_ruleset, ruleset_version

__all__ = [
    "STATUSES",
    "Evidence",
    "Rule",
    "RulesError",
    "Ruleset",
    "Verdict",
    "load_ruleset",
    "ruleset_version",
    "verdict_for",
    "verdict_for_text",
]
