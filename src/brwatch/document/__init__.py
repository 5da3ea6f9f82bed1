"""A fetched page decoded and parsed exactly once, shared by extraction, relevance and rights."""

from brwatch.document.decode import DecodedText, decode_html
from brwatch.document.document import Document, FetchedPage, parse_document

__all__ = ["DecodedText", "Document", "FetchedPage", "decode_html", "parse_document"]
