"""Per-host politeness shared by every worker: a start gate and an in-flight count per
politeness group (a host, or the sources' ``politeness_group``), in Redis.

Starting a request asks one Lua script, atomically on the Redis server's clock: are fewer than
``limit`` requests of the group in flight, and has the group's gate key expired? Then the gate
is set again for ``delay`` (plus a small margin, since the request leaves a moment after the
answer) and the request is added to the group's in-flight set with its own expiry, so a worker
killed mid-request frees its place after ``inflight_ttl`` instead of leaking it.

Redis holds nothing else and nothing durable. When it cannot be reached, workers fall back to
a slower, exact scheme in PostgreSQL (each start reserves the next slot of the group's row in
``politeness_gates``) with a per-worker in-flight share of the limit, and go back to Redis once
it answers again: losing Redis slows the crawl, it never breaks a host's delay.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from brwatch.cluster.clock import db_now
from brwatch.storage import Database
from brwatch.storage.models import PolitenessGate, ProcessHeartbeat

log = logging.getLogger(__name__)
PREFIX = "brwatch:gate:"
# Seconds between two tries of an unreachable Redis (each start tries it first otherwise).
REDIS_RETRY_AFTER = 0.5
# Longest single wait between two looks at a closed gate.
MAX_WAIT = 1.0
# Seconds after Redis came back during which starts through it also reserve their slot in
# PostgreSQL: a worker that has not noticed yet (it tries Redis every REDIS_RETRY_AFTER) or
# that reserved a fallback slot just before still sees them, and they see it.
RECOVERY_GRACE = 5.0

# KEYS: gate, in-flight set. ARGV: delay ms, limit, ticket, in-flight ttl ms.
# Returns 0 when the request may start now, else milliseconds to wait before asking again.
_START = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_ms)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return 25
end
local wait = redis.call('PTTL', KEYS[1])
if wait > 0 and redis.call('GET', KEYS[1]) ~= ARGV[3] then
  return wait
end
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[1])
end
redis.call('ZADD', KEYS[2], now_ms + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 0
"""
# KEYS: gate. ARGV: ticket, milliseconds. Closes the gate for at least that long for everyone
# but the ticket's holder (a start reserved in PostgreSQL while coming back from the fallback).
_HOLD = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Ticket:
    """A started request's place in its group, given back when it ends."""

    group: str
    ticket: str
    shared: bool  # taken in Redis (else under the PostgreSQL fallback)
    # One request at a time (a host that asked for a delay): the next one waits ``delay`` from
    # this one's end too, so a request that left late cannot bring the next one close.
    rearm: float | None = None


@dataclass(frozen=True, slots=True)
class GateState:
    group: str
    closed_for_ms: int
    in_flight: int


class Stopped(Exception):
    """The crawl is stopping: the request waiting at a gate is not sent."""


class SharedGates:
    def __init__(
        self,
        redis_url: str,
        db: Database,
        *,
        margin: float = 0.05,
        inflight_ttl: float = 120.0,
    ) -> None:
        self.redis = aioredis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.start_script = self.redis.register_script(_START)
        self.hold_script = self.redis.register_script(_HOLD)
        self.db = db
        self.margin = margin
        self.inflight_ttl = inflight_ttl
        self.redis_down_since: float | None = None
        # After Redis was lost: the groups whose first start since it came back was made
        # (None: never lost). Until then a group's start also reserves its PostgreSQL slot.
        self.fenced_groups: set[str] | None = None
        self.lost_at = 0.0
        self.last_try = 0.0
        self.recovered_at = 0.0
        self.local_in_flight: dict[str, int] = {}
        self.stopping = False
        self._live_workers = (0.0, 1)

    # -- starting and ending requests ------------------------------------------------------

    async def start(self, group: str, delay: float, limit: int) -> Ticket:
        """Wait until a request to ``group`` may start, then take its place."""
        while True:
            if self.stopping:
                raise Stopped
            if self._redis_usable():
                ticket = uuid.uuid4().hex
                try:
                    if self.fenced_groups is not None and group not in self.fenced_groups:
                        await self._come_back(group, delay, ticket)
                    elif time.monotonic() - self.recovered_at < RECOVERY_GRACE:
                        await self._wait_for_slot(group, delay)
                    wait_ms = await self.start_script(
                        keys=[PREFIX + group, PREFIX + group + ":inflight"],
                        args=[round((delay + self.margin) * 1000), limit, ticket,
                              round(self.inflight_ttl * 1000)],
                    )  # fmt: skip
                except RedisError as exc:
                    self._lost_redis(exc)
                    continue
                self._redis_answered()
                if int(wait_ms) == 0:
                    return Ticket(group, ticket, True, delay if limit == 1 else None)
                await asyncio.sleep(min(int(wait_ms) / 1000, MAX_WAIT))
                continue
            ticket_or_wait = await self._start_in_database(group, delay, limit)
            if isinstance(ticket_or_wait, Ticket):
                return ticket_or_wait
            await asyncio.sleep(min(ticket_or_wait, MAX_WAIT))

    async def end(self, ticket: Ticket) -> None:
        if not ticket.shared:
            if ticket.rearm is not None:
                await asyncio.to_thread(self._hold_in_database, ticket.group, ticket.rearm)
            self.local_in_flight[ticket.group] = self.local_in_flight.get(ticket.group, 1) - 1
            return
        try:
            if ticket.rearm is not None:
                hold_ms = round((ticket.rearm + self.margin) * 1000)
                await self.hold_script(keys=[PREFIX + ticket.group], args=["", hold_ms])
            await self.redis.zrem(PREFIX + ticket.group + ":inflight", ticket.ticket)
        except RedisError as exc:  # its entry expires by itself
            self._lost_redis(exc)

    # -- Redis lost and found ------------------------------------------------------------------

    def _redis_usable(self) -> bool:
        if self.redis_down_since is None:
            return True
        now = time.monotonic()
        if now - self.last_try >= REDIS_RETRY_AFTER:
            self.last_try = now
            return True
        return False

    def _lost_redis(self, exc: Exception) -> None:
        if self.redis_down_since is None:
            log.warning("Redis unreachable (%s): politeness falls back to PostgreSQL", exc)
            # Every start made through Redis happened before this moment: the fallback's first
            # start per group waits one full delay from it.
            self.redis_down_since = self.lost_at = self.last_try = time.monotonic()
        self.fenced_groups = set()

    def _redis_answered(self) -> None:
        if self.redis_down_since is not None:
            log.warning("Redis answers again: politeness shared through it again")
            self.redis_down_since = None
            self.recovered_at = time.monotonic()

    # -- the fallback --------------------------------------------------------------------------

    async def _start_in_database(self, group: str, delay: float, limit: int) -> Ticket | float:
        """Under the fallback: this worker's share of the in-flight limit, and a reserved slot
        ``delay`` (plus twice the margin) after the group's previous one."""
        share = max(1, limit // await asyncio.to_thread(self.live_workers))
        if self.local_in_flight.get(group, 0) >= share:
            return 0.025
        since_loss = time.monotonic() - self.lost_at
        if since_loss < delay + self.margin:
            return delay + self.margin - since_loss
        self.local_in_flight[group] = self.local_in_flight.get(group, 0) + 1
        await self._wait_for_slot(group, delay)
        if self.redis_down_since is None:
            # Redis came back while this start slept: its slot stays taken (the others keep
            # clear of it), and the start goes through Redis like everyone's now.
            self.local_in_flight[group] -= 1
            return 0.0
        return Ticket(group, uuid.uuid4().hex, False, delay if limit == 1 else None)

    async def _come_back(self, group: str, delay: float, ticket: str) -> None:
        """Back from the fallback: the group's first start through Redis takes its slot in
        PostgreSQL, after any a worker still in the fallback has reserved (and before any it
        reserves next), and closes the Redis gate to everyone else until then plus the delay."""
        await self.redis.ping()  # still away: no slot reserved for nothing
        start_at = await asyncio.to_thread(self._reserve, group, delay + 2 * self.margin)
        hold_ms = round((start_at - time.time() + delay + self.margin) * 1000)
        await self.hold_script(keys=[PREFIX + group], args=[ticket, max(hold_ms, 1)])
        if self.fenced_groups is not None:
            self.fenced_groups.add(group)
        wait = start_at - time.time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _wait_for_slot(self, group: str, delay: float) -> None:
        start_at = await asyncio.to_thread(self._reserve, group, delay + 2 * self.margin)
        wait = start_at - time.time()
        if wait > 0:
            await asyncio.sleep(wait)

    def _reserve(self, group: str, spacing: float) -> float:
        """The moment (epoch seconds) this request may start: the group's next free slot."""
        with self.db.session() as session:
            now = db_now(session)
            session.execute(
                postgresql.insert(PolitenessGate)
                .values(group_key=group, next_start_at=now)
                .on_conflict_do_nothing(index_elements=["group_key"])
            )
            slot = session.execute(
                update(PolitenessGate)
                .where(PolitenessGate.group_key == group)
                .values(
                    next_start_at=func.greatest(PolitenessGate.next_start_at, now)
                    + timedelta(seconds=spacing)
                )
                .returning(PolitenessGate.next_start_at)
            ).scalar_one()
            # Server time to this host's clock: the wait is measured here.
            return time.time() + ((slot - timedelta(seconds=spacing)) - now).total_seconds()

    def _hold_in_database(self, group: str, delay: float) -> None:
        """The fallback's re-arm: the group's next slot is no sooner than ``delay`` from now."""
        with self.db.session() as session:
            now = db_now(session)
            session.execute(
                update(PolitenessGate)
                .where(PolitenessGate.group_key == group)
                .values(
                    next_start_at=func.greatest(
                        PolitenessGate.next_start_at, now + timedelta(seconds=delay + self.margin)
                    )
                )
            )

    def live_workers(self) -> int:
        """Workers alive now (heartbeats), cached for ten seconds; at least one."""
        checked, count = self._live_workers
        if time.monotonic() - checked < 10:
            return count
        from brwatch.schedule.heartbeats import ALIVE_WITHIN

        with self.db.session() as session:
            count = live_worker_count(session, ALIVE_WITHIN)
        self._live_workers = (time.monotonic(), max(1, count))
        return max(1, count)

    async def close(self) -> None:
        await self.redis.aclose()


def live_worker_count(session: Session, alive_within: float) -> int:
    since = db_now(session) - timedelta(seconds=alive_within)
    return int(
        session.scalar(
            select(func.count())
            .select_from(ProcessHeartbeat)
            .where(ProcessHeartbeat.role == "worker", ProcessHeartbeat.seen_at >= since)
        )
        or 0
    )


def gate_states(client, groups: list[str] | None = None) -> list[GateState]:  # type: ignore[no-untyped-def]
    """What the gates look like now (for `brwatch status`), from a synchronous Redis client."""
    if groups is None:
        groups = sorted(
            {
                key.decode()[len(PREFIX) :].removesuffix(":inflight")
                for key in client.scan_iter(PREFIX + "*", count=500)
            }
        )
    states = []
    for group in groups:
        closed = client.pttl(PREFIX + group)
        in_flight = client.zcard(PREFIX + group + ":inflight")
        states.append(GateState(group, max(0, int(closed)), int(in_flight)))
    return states
