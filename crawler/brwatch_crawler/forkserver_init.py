"""Imported by the crawl's fork server only (brwatch_crawler.pipelines preloads it there), never by
the crawl process: the fork server ignores SIGTERM as it already ignores SIGINT.

The scheduler and systemd stop a crawl by sending SIGTERM to its whole process group. The
crawl process then finishes and stores the pages in flight, which needs its workers — and
new workers come from the fork server. Killed by that same SIGTERM, it took the pool down
and the pages being processed with it. It ends when the crawl process closes its pipe.
"""

import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
