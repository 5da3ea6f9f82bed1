"""One generic spider, driven by the sources file."""
