"""The persisted outbox: every message the bot owes is a row first and a Telegram call second.

A row is written in the same transaction as the change that implies it, so a crash either loses
both or neither. The worker sends rows in order per chat, one at a time per chat (and one process
at a time per chat, where several share the database: storage/claims.py), paces itself to
Telegram's limits, honours retry_after, and backs off on other errors; a row is marked `sending` (committed) before
its request goes out and `sent` right after Telegram accepts it, so a restart neither sends a
delivered message again unmarked nor loses one that was in flight: a row still `sending` when the
worker starts is a request whose answer the killed process never heard, and is treated as below.
(The commit that marks a row `sent` also marks the chat's next row `sending` when it may go at
once, and the read of a chat's rows its first one: one commit per message instead of two. And the
chats being sent to at once share these commits: what they ask for while one is under way is done
together in the next, each kind of mark in one statement.)

A send whose answer was lost is not a failure: the request went out (a read timeout, a connection
dropped after writing) and Telegram may well have delivered it. Retrying it blindly is how a slow
Telegram doubles messages. So the outbox sends such a message at most once more:

- a failure known to have happened before Telegram had the request (connection refused, a pool
  timeout, 429, 5xx) is retried as usual (`RetryLater`);
- an uncertain one (`Uncertain`) marks the row's payload `resend` and backs off; the resend goes
  out visibly marked （重发） (a text or a caption; a location pin or an album cannot carry the
  mark), so a reader who got both knows the second is the same message; the chat's later messages
  wait behind it, so the order is kept;
- a resend that is uncertain too is left `unconfirmed` (logged), never sent a third time;
- an edit is idempotent and is simply retried.

The worker's patience grows with Telegram's slowness: after an answer that did not come in time,
later sends wait up to twice the slowest answer seen (`send_timeout_max_seconds` at most), so a
Telegram answering in 12 s instead of 1 s is waited for rather than resent.
"""
from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import OutboxConfig
from bot.worker import BackgroundWorker
from storage.claims import OUTBOX, Claims
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass
class Outgoing:
    """A message in transport-neutral form; handlers/sender.py turns it into a Bot API call."""

    chat_id: int
    kind: str = "text"  # text | photo | album | location | edit | unbutton (an earlier message's buttons removed)
                        # | menu_button (the chat's Mini App button)
    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)  # Telegram file ids
    location: tuple[float, float] | None = None
    reply_to_message_id: int | None = None
    ask_location: bool = False  # offer the "send my location" keyboard button
    edit_of: int | None = None  # outbox id of the message to edit (kind edit or unbutton)
    edit_message_id: int | None = None  # or a Telegram message id to edit
    web_app_url: str | None = None  # kind == "menu_button": the Mini App it opens, labelled `text`
    case_id: int | None = None
    resend: bool = False  # a second try after an uncertain first one: shown marked （重发）

    def payload(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("chat_id"), data.pop("kind"), data.pop("case_id"), data.pop("resend")
        return data

    @classmethod
    def from_row(cls, row: "OutboxMessage | OwedRow") -> "Outgoing":
        data = dict(row.payload)
        data["buttons"] = [[Button(**b) for b in line] for line in data.get("buttons", [])]
        if data.get("location") is not None:
            data["location"] = tuple(data["location"])
        return cls(chat_id=row.chat_id, kind=row.kind, case_id=row.case_id, **data)


def wall_clock() -> datetime:
    """Transport time is real time, even when the domain clock is moved by a test or a simulation:
    Telegram's retry_after and our backoff are measured in real seconds."""
    return datetime.now(timezone.utc)


# Kinds whose second arrival changes nothing (an edit shows the same text, a menu button is set again):
# an unanswered one is simply retried, unmarked.
SAME_TWICE = ("edit", "unbutton", "menu_button")
# Kinds that change a message sent before.
EDITS = ("edit", "unbutton")


def backoff(attempts: int, base: float, most: float) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling from `base`, at most `most`."""
    return min(most, base * 2 ** (attempts - 1))


OWED_CHATS = "outbox_owed_chats"  # session.info: the chats a unit of work queued messages for


def enqueue(session: AsyncSession, message: Outgoing) -> OutboxMessage:
    session.info.setdefault(OWED_CHATS, set()).add(message.chat_id)
    now = wall_clock()
    row = OutboxMessage(chat_id=message.chat_id, kind=message.kind, payload=message.payload(),
                        case_id=message.case_id, status="pending", attempts=0,
                        next_attempt_at=now, created_at=now)
    session.add(row)
    return row


class RetryLater(Exception):
    """Telegram asked us to wait (429) or the network failed; `seconds` is Telegram's retry_after if given."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


class Uncertain(Exception):
    """The request went out but no answer came (read timeout, connection dropped): Telegram may
    have delivered it or not."""


class PermanentFailure(Exception):
    """Telegram refused for good (chat not found, bot blocked, bad request): retrying won't help."""


class Sender(Protocol):
    async def send(self, message: Outgoing, edit_target: int | None, timeout: float) -> int | None:
        """Deliver one message, waiting at most `timeout` seconds for the answer; return the
        Telegram message id it created or changed."""


class _Bucket:
    """Token bucket: `rate` tokens a second, at most `burst` saved up; a message goes out only while
    `reserve` more tokens than it needs are left, so jitter on the way to Telegram cannot overdraw
    Telegram's own bucket."""

    def __init__(self, rate: float, burst: float, now: float, reserve: float = 0.0) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, now
        self.need = 1 + reserve

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= self.need else (self.need - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class Pacing:
    """Telegram's flood limits as the outbox keeps them: overall and per chat, each with a margin.
    Times are the caller's monotonic seconds, so a test can drive it with a clock of its own."""

    def __init__(self, config: OutboxConfig, now: float) -> None:
        self.config = config
        self.overall = self._bucket(config.global_per_second, config.global_per_second, now)
        self.chats: dict[int, _Bucket] = {}

    def _bucket(self, rate: float, burst: float, now: float) -> _Bucket:
        return _Bucket(rate, burst, now, reserve=rate * self.config.margin_seconds)

    def chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds until this chat may get its next message."""
        bucket = self.chats.get(chat_id)
        if bucket is None:
            bucket = self.chats[chat_id] = self._bucket(self.config.per_chat_per_second,
                                                        self.config.per_chat_burst, now)
        return bucket.wait_time(now)

    def overall_wait(self, now: float) -> float:
        """Seconds until any chat may get a message."""
        return self.overall.wait_time(now)

    def take(self, chat_id: int) -> None:
        """Count one message; call right after both waits came back 0, with no await between."""
        self.overall.take()
        self.chats[chat_id].take()


OWED = ("pending", "sending")  # rows the worker still has to send; `sending` = in flight at a crash

# The worker reads and writes the table with Core statements: an owed row is read as plain columns
# (a Row, read by attribute like the model), and each change is one UPDATE by id, so no ORM object
# is built, tracked, loaded again to be changed and flushed.
_OUTBOX = OutboxMessage.__table__
OWED_COLUMNS = (_OUTBOX.c.id, _OUTBOX.c.chat_id, _OUTBOX.c.kind, _OUTBOX.c.payload, _OUTBOX.c.case_id,
                _OUTBOX.c.status, _OUTBOX.c.next_attempt_at)
OwedRow = Any  # a Row of OWED_COLUMNS


# Built once (bound parameters): building a statement costs more than looking up its compiled form.
BATCH = 50  # a chat's owed rows read at once; a chat with more is queued again for the rest
_OWED_OF_CHAT = (select(*OWED_COLUMNS).where(_OUTBOX.c.chat_id == bindparam("chat"), _OUTBOX.c.status.in_(OWED))
                 .order_by(_OUTBOX.c.id).limit(BATCH))
# Several chats' at once (a shared commit): their first BATCH each, in one statement.
_RANKED = select(*OWED_COLUMNS, func.row_number().over(partition_by=_OUTBOX.c.chat_id, order_by=_OUTBOX.c.id)
                 .label("place")).where(_OUTBOX.c.chat_id.in_(bindparam("chats", expanding=True)),
                                        _OUTBOX.c.status.in_(OWED)).subquery()
_OWED_OF_CHATS = (select(*(_RANKED.c[column.name] for column in OWED_COLUMNS)).where(_RANKED.c.place <= BATCH)
                  .order_by(_RANKED.c.id))
_SET = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row"))  # SET: the columns given as parameters
_SENT_AS = select(_OUTBOX.c.tg_message_id).where(_OUTBOX.c.id == bindparam("row"))


async def _set(s: AsyncSession, outbox_id: int, **values) -> None:
    await s.execute(_SET, {"row": outbox_id, **values})


class Patience:
    """How long a send waits for Telegram's answer: the configured timeout while Telegram is quick,
    up to twice the slowest recent answer (at most the max) once an answer came late or not at all."""

    def __init__(self, config: OutboxConfig) -> None:
        self.base, self.most = config.send_timeout_seconds, config.send_timeout_max_seconds
        self.seconds = self.base

    def answered(self, took: float) -> None:
        self.seconds = max(self.base, min(self.most, 2 * took))

    def lost(self) -> None:
        self.seconds = min(self.most, 2 * self.seconds)


class OutboxWorker(BackgroundWorker):
    name = "outbox"

    def __init__(self, db: Database, sender: Sender, config: OutboxConfig,
                 now: Callable[[], datetime] = wall_clock, claims: Claims | None = None) -> None:
        super().__init__()
        self.db, self.sender, self.config, self.now = db, sender, config, now
        self.claims = claims or Claims()
        self.pacing = Pacing(config, time.monotonic())
        self.patience = Patience(config)
        self._sending: dict[int, asyncio.Task] = {}  # chat id → the task sending its messages, one per chat
        self._resume: dict[int, float] = {}  # chat id → monotonic time its next message may go
        self._later: list[tuple[float, int]] = []  # heap of (_resume time, chat): queued again then
        self._queue: deque[int] = deque()  # owed chats read by the last pass (or just queued), not started yet
        self._again: set[int] = set()  # chats being sent to that may owe more than their send read
        self.sent_count = 0
        self._read_at = float("-inf")  # monotonic time the owed chats were last read
        self._sent_since_read = False  # a chat finished after the last read: one more read follows
        self._asks: list[_Ask] = []  # what the chats' sends asked of the next shared commit
        self._committer: asyncio.Task | None = None  # the task making the shared commits, while there are asks

    def start(self) -> None:
        if self._queued not in self.db.after_commit:  # a restarted worker is told once
            self.db.after_commit.append(self._queued)
        super().start()

    def _queued(self, info: dict) -> None:
        """A unit of work of this process committed messages: their chats go on the queue, so the
        next pass starts them without reading which chats are owed (other processes' are read)."""
        chats = info.get(OWED_CHATS)
        if chats:
            self._queue.extend(sorted(c for c in chats if c not in self._queue))
            self.wake()

    async def stop(self, grace: float = 5.0) -> None:
        """Let the sends under way finish (a send must be followed by its 'sent' commit), then stop."""
        if self._queued in self.db.after_commit:
            self.db.after_commit.remove(self._queued)
        await super().stop(grace)

    async def _run(self) -> None:
        try:
            await self._passes()
            if self._sending:
                await asyncio.wait(list(self._sending.values()))
        except asyncio.CancelledError:
            for task in self._sending.values():
                task.cancel()
            raise

    async def pending_count(self) -> int:
        async with self.db.session() as s:
            return await s.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.status.in_(OWED)))

    async def drain_once(self) -> float:
        """Start sending to each chat that is owed messages and has no send under way, oldest first,
        at most `concurrent_chats` at a time; return the seconds until another may be started (a
        chat that finishes wakes the worker sooner). A slow chat holds only its own slot. The chats
        this process owes are known without reading: those its commits queued for, those a send
        left with more to send (a commit for them came during it, or more rows than it read), and
        those waiting for their next due time (queued again at that time). Which chats are owed is
        read only at the first pass and at most every REREAD seconds after (what other processes
        queued, rows left by a crash), and once more REREAD after the last chat finished."""
        now = time.monotonic()
        if now - self._read_at > self.REREAD:
            async with self.db.session() as s:
                owed = [c for (c,) in await s.execute(
                    select(OutboxMessage.chat_id).where(OutboxMessage.status.in_(OWED))
                    .group_by(OutboxMessage.chat_id).order_by(func.min(OutboxMessage.id)))]
            self._read_at, self._sent_since_read = now, False
            self._queue.extend(c for c in owed if c not in self._queue)
        while self._later and self._later[0][0] <= now:  # due again
            at, chat_id = heapq.heappop(self._later)
            if self._resume.get(chat_id) == at and chat_id not in self._queue:
                self._queue.append(chat_id)
        delay = self.BUSY
        while self._queue and len(self._sending) < self.config.concurrent_chats:
            chat_id = self._queue.popleft()
            if chat_id in self._sending:  # queued for again while its send is under way
                self._again.add(chat_id)
                continue
            if self._resume.get(chat_id, 0.0) > now:  # on self._later: queued again when due
                continue
            task = asyncio.create_task(self._send_chat(chat_id), name=f"outbox-{chat_id}")
            self._sending[chat_id] = task
            task.add_done_callback(lambda _, chat=chat_id: self._done(chat))
        if self._later:
            delay = min(delay, self._later[0][0] - now)
        elif not self._queue and not self._sending:  # nothing known to be owed
            delay = self.REREAD - (now - self._read_at) if self._sent_since_read else self.IDLE
        return max(0.01, delay)

    IDLE = 30.0  # nothing owed: look again after this long, or when woken
    REREAD = 1.0  # the owed chats are read at least this often while chats are queued
    OTHERS = 1.0  # a chat another process is sending to: look again after this long
    BUSY = 1.0  # sends under way: a chat that finishes wakes the worker; this is only a safety net

    def _done(self, chat_id: int) -> None:
        self._sending.pop(chat_id, None)
        self._sent_since_read = True
        if chat_id in self._again:
            self._again.discard(chat_id)
            if chat_id not in self._resume and chat_id not in self._queue:  # else queued again when due
                self._queue.append(chat_id)
        self._wake.set()

    async def _send_chat(self, chat_id: int) -> None:
        """Send a chat's due messages in order until one must wait, and note when that one is due.
        A chat another process is sending to is left to it (a row it has `sending` is in flight)."""
        try:
            async with self.claims.hold(OUTBOX, chat_id) as mine:
                wait = await self._send_due(chat_id) if mine else self.OTHERS
        except Exception:  # the next pass tries again
            log.exception("outbox: sending to chat %s failed", chat_id)
            wait = 1.0
        if wait > 0:
            self._resume[chat_id] = at = time.monotonic() + wait
            heapq.heappush(self._later, (at, chat_id))
        else:
            self._resume.pop(chat_id, None)

    async def _send_due(self, chat_id: int) -> float:
        """Send the chat's owed rows in order. The transaction that reads them also marks the first
        `sending` when it may go at once, and the one that marks a row `sent` marks the next: so each
        row is still `sending` (committed) before its request goes out, with one commit per row."""
        rows, in_flight = await self._shared(_Ask(chat_id, read=True))
        for i, row in enumerate(rows):
            if in_flight is None:
                if self._stopping:
                    return 0.0
                wait = self._wait(row)
                if wait > 0:  # give the slot to another chat rather than sleep on this one's limit
                    return wait
            settled, in_flight = await self._send_one(row, in_flight, rows[i + 1] if i + 1 < len(rows) else None)
            if not settled:
                return 0.01  # rescheduled: the next look reads its new due time
        if len(rows) == BATCH:  # more may be owed than were read
            self._again.add(chat_id)
        return 0.0

    def _wait(self, row: OwedRow) -> float:
        """Seconds until the row may go: its own due time and the chat's limit."""
        return max((row.next_attempt_at - self.now()).total_seconds(),
                   self.pacing.chat_wait(row.chat_id, time.monotonic()))

    async def _ready(self, s: AsyncSession, row: OwedRow) -> "_InFlight | None":
        """Whether `row` may go right away (due, within the chat's and the overall limit, not in
        flight before a restart, its edit target known): then it is counted against the limits and
        the caller marks it sending in the open transaction `s`; None leaves it to _send_one's own
        steps."""
        if row.status != "pending" or self._stopping or self._wait(row) > 0 \
                or self.pacing.overall_wait(time.monotonic()) > 0:
            return None
        edit_target = None
        if row.kind in EDITS:
            edit_target = row.payload.get("edit_message_id") or await _sent_message_id(s, row.payload.get("edit_of"))
            if edit_target is None:
                return None
        self.pacing.take(row.chat_id)
        return _InFlight(edit_target)

    async def _shared(self, ask: "_Ask") -> Any:
        """Have `ask` done in the worker's next shared commit and return its result once that
        committed: (rows, in flight) for a read, in flight for a sent mark. The chat's task waits
        for the commit even when cancelled, so its claim is let go only after its marks are in."""
        ask.future = asyncio.get_running_loop().create_future()
        self._asks.append(ask)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_asks(), name="outbox-commits")
        try:
            return await asyncio.shield(ask.future)
        except asyncio.CancelledError:
            await asyncio.wait([ask.future])
            raise

    async def _commit_asks(self) -> None:
        """Do what the chats asked, together: everything asked while one commit was under way goes
        into the next. A failed commit fails the asks it carried (their chats try again later)."""
        while self._asks:
            asks: list[_Ask] = []
            try:
                async with self.db.session() as s:
                    asks, self._asks = self._asks, []
                    results = await self._do_asks(s, asks)
            except Exception as exc:
                if not asks:  # not even begun: nothing was taken, every ask waiting fails
                    asks, self._asks = self._asks, []
                for ask in asks:
                    ask.future.set_exception(exc)
                    ask.future.exception()  # noted: a chat that was cancelled will not ask
                continue
            for ask, result in zip(asks, results):
                ask.future.set_result(result)

    async def _do_asks(self, s: AsyncSession, asks: "list[_Ask]") -> list[Any]:
        sent = [ask for ask in asks if ask.sent is not None]
        if sent:
            now = self.now()
            await s.execute(_SET, [{"row": row_id, "status": "sent", "sent_at": now, "tg_message_id": message_id}
                                   for row_id, message_id in (ask.sent for ask in sent)])
        owed = await _owed_rows(s, [ask.chat_id for ask in asks if ask.read])
        results: list[Any] = []
        sending: list[dict[str, Any]] = []
        for ask in asks:
            if ask.read:
                rows = owed.get(ask.chat_id, [])
                first = rows[0] if rows else None
            else:
                first = ask.then
            in_flight = await self._ready(s, first) if first is not None else None
            if in_flight is not None:
                sending.append({"row": first.id, "status": "sending"})
            results.append((rows, in_flight) if ask.read else in_flight)
        if sending:
            await s.execute(_SET, sending)
        return results

    async def _pace(self, chat_id: int) -> None:
        """Wait for the overall limit (shared by every chat, so waiting in a slot costs nobody);
        the chat's own limit was checked by _send_due, which leaves the chat instead of waiting."""
        while (wait := self.pacing.overall_wait(time.monotonic())) > 0:
            await asyncio.sleep(wait)
        self.pacing.take(chat_id)

    async def _send_one(self, row: OwedRow, in_flight: "_InFlight | None" = None,
                        following: OwedRow | None = None) -> tuple[bool, "_InFlight | None"]:
        """(settled, in flight): settled is True when the row is settled (sent, failed for good, or
        unconfirmed) and False when it must be tried again; `in_flight`: the row is marked sending
        already (by the commit that read it or sent the one before). Once it is sent, `following`
        is marked sending in the same transaction when it may go at once, and returned as in flight."""
        message = Outgoing.from_row(row)
        if in_flight is not None:
            edit_target = in_flight.edit_target
        else:
            edit_target = None
            if message.kind in EDITS:
                edit_target = message.edit_message_id or await self._sent_message_id(message.edit_of)
                if edit_target is None:  # the message to edit was never delivered: nothing to edit
                    await self._finish(row.id, "failed", error="edit target was never sent")
                    return True, None
            if row.status == "sending":  # the last process died with this request out: it may have arrived
                return await self._uncertain(row, message, "in flight when the last process stopped"), None
            await self._pace(row.chat_id)
            await self._mark_sending(row.id)
        started = time.monotonic()
        try:
            message_id = await self.sender.send(message, edit_target, self.patience.seconds)
        except RetryLater as exc:
            await self._retry(row, str(exc), exc.seconds)
            return False, None
        except Uncertain as exc:
            self.patience.lost()
            return await self._uncertain(row, message, str(exc) or "no answer"), None
        except PermanentFailure as exc:
            log.warning("outbox %s to %s failed for good: %s", row.id, row.chat_id, exc)
            await self._finish(row.id, "failed", error=str(exc))
            return True, None
        except Exception as exc:  # unknown errors are retried with backoff, never dropped silently
            log.exception("outbox %s: unexpected send error", row.id)
            await self._retry(row, repr(exc), None)
            return False, None
        self.patience.answered(time.monotonic() - started)
        self.sent_count += 1
        return True, await self._shared(_Ask(row.chat_id, sent=(row.id, message_id or edit_target), then=following))

    async def _uncertain(self, row: OwedRow, message: Outgoing, error: str) -> bool:
        """No answer to a request that went out: resend it once, marked; never a third time."""
        if message.kind in SAME_TWICE:
            await self._retry(row, error, None)
            return False
        if message.resend:
            log.error("outbox %s to %s: the resend went unanswered too; left unconfirmed (%s)",
                      row.id, row.chat_id, error)
            await self._finish(row.id, "unconfirmed", error=error)
            return True
        log.warning("outbox %s to %s: no answer (%s); it may have arrived, so it is resent once, marked",
                    row.id, row.chat_id, error)
        await self._retry(row, error, None, resend=True)
        return False

    async def _sent_message_id(self, outbox_id: int | None) -> int | None:
        if outbox_id is None:
            return None
        async with self.db.session() as s:
            return await _sent_message_id(s, outbox_id)

    async def _mark_sending(self, outbox_id: int) -> None:
        async with self.db.session() as s:
            await _set(s, outbox_id, status="sending")

    async def _retry(self, row: OwedRow, error: str, retry_after: float | None, *,
                     resend: bool = False) -> None:
        async with self.db.session() as s:
            attempts, payload = (await s.execute(select(_OUTBOX.c.attempts, _OUTBOX.c.payload)
                                                 .where(_OUTBOX.c.id == row.id))).one()
            values: dict[str, Any] = {"status": "pending", "last_error": error}
            if resend:
                values["payload"] = {**payload, "resend": True}
            if retry_after is not None:  # Telegram's own pacing: wait exactly that, it is not a failure
                values["next_attempt_at"] = self.now() + timedelta(seconds=retry_after)
            else:
                values["attempts"] = attempts = attempts + 1
                if attempts >= self.config.max_attempts:
                    values["status"] = "failed"
                    log.error("outbox %s to %s given up after %s attempts: %s", row.id, row.chat_id, attempts, error)
                else:
                    values["next_attempt_at"] = self.now() + timedelta(seconds=backoff(
                        attempts, self.config.backoff_base_seconds, self.config.backoff_max_seconds))
            await _set(s, row.id, **values)

    async def _finish(self, outbox_id: int, status: str, *, error: str) -> None:
        """Settle the row unsent (failed, unconfirmed); a sent one is marked by a shared commit (_Ask)."""
        values: dict[str, Any] = {"status": status, "sent_at": None, "tg_message_id": None}
        if error:  # else the last error stays
            values["last_error"] = error
        async with self.db.session() as s:
            await _set(s, outbox_id, **values)


@dataclass
class _Ask:
    """What a chat's send asks of the worker's next shared commit: read the chat's owed rows, or
    mark a row sent (with the Telegram message id); and mark the first of those rows, or `then`,
    sending when it may go at once."""

    chat_id: int
    read: bool = False
    sent: tuple[int, int | None] | None = None  # (outbox id, Telegram message id)
    then: OwedRow | None = None
    future: "asyncio.Future[Any]" = field(init=False, repr=False)


@dataclass(frozen=True)
class _InFlight:
    """A row marked `sending` (committed) by the transaction that read or settled the one before it."""

    edit_target: int | None  # the Telegram message an edit changes


async def _owed_rows(s: AsyncSession, chats: list[int]) -> dict[int, list[OwedRow]]:
    """The chats' owed rows in order, at most BATCH each."""
    if len(chats) == 1:
        return {chats[0]: (await s.execute(_OWED_OF_CHAT, {"chat": chats[0]})).all()}
    owed: dict[int, list[OwedRow]] = {}
    if chats:
        for row in await s.execute(_OWED_OF_CHATS, {"chats": chats}):
            owed.setdefault(row.chat_id, []).append(row)
    return owed


async def _sent_message_id(s: AsyncSession, outbox_id: int | None) -> int | None:
    """The Telegram message id an outbox row was delivered as, once it was."""
    if outbox_id is None:
        return None
    return await s.scalar(_SENT_AS, {"row": outbox_id})
