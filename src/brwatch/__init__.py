"""brwatch: watch Belt and Road news and answer, before reuse, "may we reprint this, and on what
terms?"

The public library API is deliberately small; everything else is internal.
"""

from brwatch.document import Document, parse_document

__all__ = ["Document", "parse_document"]
__version__ = "0.1.0"
