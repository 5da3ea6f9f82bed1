"""Crawling on many hosts: the job queue, the URL frontier, worker nodes, the active scheduler
and the politeness shared through Redis. PostgreSQL is the authority (jobs and URLs are
claimed under leases with fencing tokens); Redis only holds soft, expiring gates.
See docs/crawling.md ("Crawling on many hosts")."""
