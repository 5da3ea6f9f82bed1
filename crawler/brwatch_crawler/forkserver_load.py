"""Imported by the crawl's fork server only, after the stages (brwatch_crawler.pipelines
preloads it there): loads the rules, the topic vocabulary and the language model once, so the
workers forked from the server share them instead of each loading its own copy on its first
page (about 75 MB and a rules compilation per worker).

A failure here is left to the workers: each then loads on its first page and reports what is
broken for that page, as without this module (the crawl process checked the stages already).
"""

import logging

from brwatch.pipeline.stages import load_stage_data

try:
    load_stage_data()
except Exception:  # a fork server that dies takes the whole pool with it
    logging.getLogger(__name__).warning("fork server: stage data not preloaded", exc_info=True)
