"""Article fields from a parsed page: title, main text, authors, date, language, canonical URL.

Works on a :class:`brwatch.document.Document` and reuses its lxml tree; nothing is parsed twice.
"""

from brwatch.extract.article import ExtractedArticle
from brwatch.extract.extractor import extract_article

__all__ = ["ExtractedArticle", "extract_article"]
