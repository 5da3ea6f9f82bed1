"""What the cluster is doing now, for `brwatch status` and the admins' status page: the
active scheduler, live workers with their source and heartbeat, the job queue, leases and
(with Redis) the per-host politeness gates."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from brwatch.cluster.clock import db_now
from brwatch.cluster.gates import GateState, gate_states
from brwatch.cluster.jobs import QueueDepth, depth
from brwatch.schedule.heartbeats import ALIVE_WITHIN
from brwatch.storage import Database
from brwatch.storage.models import CrawlJob, FrontierUrl, ProcessHeartbeat


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    host: str | None
    pid: int | None
    doing: str | None  # a worker's source; a scheduler's "active" or "standby"
    seen_seconds_ago: float
    alive: bool


@dataclass(frozen=True)
class Lease:
    job_id: int
    source: str
    worker: str | None
    expires_in: float
    urls_leased: int


@dataclass
class ClusterStatus:
    active_scheduler: str | None
    members: list[Member]
    queue: QueueDepth
    leases: list[Lease]
    urls: dict[str, int]
    gates: list[GateState] = field(default_factory=list)
    gates_error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def cluster_status(db: Database, redis_client: Any = None) -> ClusterStatus:
    with db.session() as session:
        now = db_now(session)
        members = [
            _member(row, now)
            for row in session.scalars(
                select(ProcessHeartbeat).order_by(ProcessHeartbeat.role, ProcessHeartbeat.name)
            )
        ]
        url_leases = dict(
            session.execute(
                select(FrontierUrl.worker, func.count())
                .where(FrontierUrl.state == "leased")
                .group_by(FrontierUrl.worker)
            ).all()
        )
        leases = [
            Lease(
                job.id,
                job.source,
                job.worker,
                round((job.lease_expires_at - now).total_seconds(), 1)
                if job.lease_expires_at
                else 0.0,
                int(url_leases.get(job.worker, 0)),
            )
            for job in session.scalars(
                select(CrawlJob).where(CrawlJob.state == "leased").order_by(CrawlJob.id)
            )
        ]
        urls = dict(
            session.execute(
                select(FrontierUrl.state, func.count()).group_by(FrontierUrl.state)
            ).all()
        )
        queue = depth(session)
    active = next(
        (m.name for m in members if m.role == "scheduler" and m.alive and m.doing == "active"),
        None,
    )
    status = ClusterStatus(active, members, queue, leases, {k: int(v) for k, v in urls.items()})
    if redis_client is not None:
        try:
            status.gates = gate_states(redis_client)
        except Exception as exc:  # Redis away: the status says so, the rest still shows
            status.gates_error = str(exc)
    return status


def _member(row: ProcessHeartbeat, now: datetime) -> Member:
    ago = (now - row.seen_at).total_seconds()
    return Member(
        row.name,
        row.role,
        row.host,
        row.pid,
        row.current_source,
        round(ago, 1),
        ago <= timedelta(seconds=ALIVE_WITHIN).total_seconds(),
    )
