"""Words for stored codes, in the interface's language: obligations and the reuse gate's answers.

The gate (brwatch.reuse.gate) writes its reasons and notes in English from templates; every
template is listed here so the catalog extracts it, and tests/test_web_i18n.py checks the two
lists stay the same.
"""

from __future__ import annotations

from brwatch.web.i18n import N_

# The rights engine's obligation names (brwatch.rights.rules.OBLIGATIONS and earlier names).
OBLIGATION_LABELS = {
    "credit": N_("Credit the source"),
    "credit_origin": N_("Credit the original publisher"),
    "link_to_original": N_("Link to the original article"),
    "link": N_("Link to the original article"),
    "keep_notice": N_("Keep the copyright notice with the text"),
    "no_derivatives": N_("Reproduce unchanged (no modifications)"),
    "no_modification": N_("Reproduce unchanged (no modifications)"),
    "non_commercial": N_("Non-commercial use only"),
    "share_alike": N_("Share under the same licence"),
    "no_full_copy": N_("Excerpts only, not the full text"),
    "no_bulk_copy": N_("No wholesale republishing"),
    "no_tdm": N_("No text and data mining"),
    "no_archive": N_("No archiving"),
    "no_snippet": N_("No snippets in search results"),
    "paywalled": N_("Behind a paywall"),
}

# Every template the reuse gate builds its sentences from.
GATE_TEMPLATES = (
    N_("an editor decided this article must not be reused"),
    N_("choose another source, or ask an editor to revisit the decision"),
    N_("the page's rights statements disagree and await legal review"),
    N_("ask legal to review the article and record a decision"),
    N_("the article forbids reproduction without permission"),
    N_("the article is under copyright with no reprint permission"),
    N_("no rights statement was found, so reuse needs permission or an editor's review"),
    N_(": “%(evidence)s”"),
    N_(" (grant #%(id)s exists but is revoked)"),
    N_(" (grant #%(id)s exists but is outside its validity period)"),
    N_("get written permission from %(who)s and record it (brwatch grants add …)"),
    N_("get written permission from the publisher and record it (brwatch grants add …)"),
    N_(", or have an editor clear the article in the review app"),
    N_("permission: grant #%(id)s from %(publisher)s (%(scope)s)"),
    N_(", reference %(reference)s"),
    N_("honour the grant's conditions: %(conditions)s"),
    N_("reuse rests on the review decision '%(state)s'; no grant is on file"),
    N_("the draft links to %(url)s, which is not the original article"),
    N_("link to the original: %(url)s"),
    N_("the terms require a link to the original article and the draft has none"),
    N_("add a link to %(url)s"),
    N_("the article is licensed %(license)s, which requires the licence to be named"),
    N_("add “Licensed under %(license)s” with a link to the licence"),
    N_("the terms forbid modification: reproduce the text unchanged"),
    N_("the terms require the original copyright notice to be kept with the text"),
    N_("the terms allow non-commercial use only"),
    N_("the terms require the reuse to carry the same licence"),
    N_("the terms allow excerpts only, not the full text"),
    N_("grant #%(id)s requires the notice “%(notice)s”, missing from the draft"),
    N_("add the notice exactly as given: “%(notice)s”"),
    N_("the draft does not credit %(publisher)s"),
    N_("add a credit line such as “Source: %(publisher)s” (any of: %(names)s)"),
    N_("the article is not in the database: it was fetched and checked just now"),
)
