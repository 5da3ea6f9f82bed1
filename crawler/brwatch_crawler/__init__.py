"""The Scrapy project: plumbing only. Every decision lives in `brwatch` or in the small
Scrapy-free modules here (`feeds`, `sitemaps`, `links`), which have their own unit tests."""
