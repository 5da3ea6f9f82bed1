"""Routes grouped by page; each module serves one page and its JSON twin."""

from brwatch.web.routes import (
    auth,
    evidence,
    grants,
    items,
    notifications,
    queue,
    reports,
    reuse,
    status,
    users,
)

ROUTERS = [
    auth.router,
    queue.router,
    items.router,
    evidence.router,
    grants.router,
    reuse.router,
    reports.router,
    users.router,
    notifications.router,
    status.router,
]
