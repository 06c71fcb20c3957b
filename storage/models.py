"""SQLAlchemy models: the district, its people, cases and everything that happens to them.

Timestamps are stored as timezone-aware UTC. Status and role columns hold the string values of
the enums in bot/lifecycle.py, so the database stays readable without the code.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator



class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which forgets zones) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use the clock")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


# ---------------------------------------------------------------- the district
class Street(Base):
    __tablename__ = "streets"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    district_name: Mapped[str] = mapped_column(String(64))


class Community(Base):
    __tablename__ = "communities"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    street_id: Mapped[str] = mapped_column(ForeignKey("streets.id"), index=True)
    street: Mapped[Street] = relationship(lazy="joined")


class Grid(Base):
    __tablename__ = "grids"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), index=True)
    geometry: Mapped[dict[str, Any]] = mapped_column()  # GeoJSON Polygon, lon/lat
    community: Mapped[Community] = relationship(lazy="joined")


class Officer(Base):
    """A post in the grid organisation (from officers.csv); `person_id` is set when they /join."""

    __tablename__ = "officers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32), index=True)
    on_duty: Mapped[str] = mapped_column(String(16), default="24h")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    scopes: Mapped[list["OfficerScope"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="OfficerScope.scope_id")


class OfficerScope(Base):
    """What an officer covers: grids for grid officers, a community, a street or the district."""

    __tablename__ = "officer_scopes"
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.id"), primary_key=True)
    scope_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class OfficerLeave(Base):
    """An officer away (leave, training) with the colleague who covers their grids meanwhile."""

    __tablename__ = "officer_leaves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.id"), index=True)
    substitute_id: Mapped[str | None] = mapped_column(ForeignKey("officers.id"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    set_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str | None] = mapped_column(Text)


class Address(Base):
    """The unified address library (统一地址库): every place a resident may name, with its grid."""

    __tablename__ = "addresses"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128), unique=True)
    road: Mapped[str] = mapped_column(String(128), default="")
    number: Mapped[int | None] = mapped_column(Integer)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), index=True)


class GridCorrection(Base):
    """An officer saying "not my grid" and naming the right one: evidence for fixing the address library."""

    __tablename__ = "grid_corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_grid_id: Mapped[str | None] = mapped_column(String(32))
    to_grid_id: Mapped[str] = mapped_column(String(32))
    address_id: Mapped[str | None] = mapped_column(String(32))
    address_text: Mapped[str | None] = mapped_column(String(256))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    officer_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column()


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    lead_categories: Mapped[list[Any]] = mapped_column(default=list)


class DepartmentStaff(Base):
    __tablename__ = "department_staff"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column()


# ---------------------------------------------------------------- people
class Person(Base):
    """Anyone who talks to the bot. Residents are people with no officer post or department.
    A caller whose report came through an API channel (the 12345 hotline) has no Telegram ids:
    `channel` names the channel, and what the bot would tell them goes there instead."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tg_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(64), index=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column()


class Invite(Base):
    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    officer_id: Mapped[str | None] = mapped_column(ForeignKey("officers.id"))
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


# ---------------------------------------------------------------- cases
class Case(Base):
    __tablename__ = "cases"
    # A duplicate is looked for among one category's recent cases; a hot spot among the last window's.
    __table_args__ = (Index("ix_cases_status_grid", "status", "grid_id"),
                      Index("ix_cases_category_created_at", "category", "created_at"),
                      Index("ix_cases_created_at", "created_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(16), default="resident")  # resident | patrol
    category: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_cue: Mapped[str | None] = mapped_column(String(64))  # the words that made it urgent
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address_text: Mapped[str | None] = mapped_column(String(256))
    address_id: Mapped[str | None] = mapped_column(String(32))  # the library entry it was matched to
    grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)  # the grid that handles it
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    assignee_officer_id: Mapped[str | None] = mapped_column(ForeignKey("officers.id"), index=True)
    assignee_department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"), index=True)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Deadlines (bot/deadlines.py): the running limits, the round they belong to, the sweep's next look.
    due_from: Mapped[datetime | None] = mapped_column()
    accept_due_at: Mapped[datetime | None] = mapped_column()
    resolve_due_at: Mapped[datetime | None] = mapped_column()
    deadline_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deadline_round_at: Mapped[datetime | None] = mapped_column()
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    # What the case went through, kept on it so the figures need no scan of the timeline (bot/figures.py):
    # resolved (办结) at least once, reopened (重新办理), handed back (退回), moved as "not my grid".
    was_resolved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    was_reopened: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    was_returned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    was_moved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The grid the place lies in, as found at filing: a transfer to another grid moves the case, not the place.
    place_grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id", name="fk_cases_place_grid_id_grids"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Casework: who checks a department's 办结 on site (核查结案), and the case a duplicate was merged into.
    verifier_officer_id: Mapped[str | None] = mapped_column(ForeignKey("officers.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    __mapper_args__ = {"version_id_col": version}

    reporter: Mapped[Person] = relationship(lazy="joined", foreign_keys=[reporter_id])
    grid: Mapped[Grid | None] = relationship(lazy="joined", foreign_keys=[grid_id])
    place_grid: Mapped[Grid | None] = relationship(lazy="joined", foreign_keys=[place_grid_id])
    assignee_officer: Mapped[Officer | None] = relationship(lazy="joined", foreign_keys=[assignee_officer_id])
    assignee_department: Mapped[Department | None] = relationship(lazy="joined")


class CaseEvent(Base):
    """One line of a case's timeline: every transition and every urge, relay or added detail."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="SET NULL"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # report | info | resolution | relay
    tg_file_id: Mapped[str] = mapped_column(String(256))
    tg_file_unique_id: Mapped[str] = mapped_column(String(128))
    path: Mapped[str | None] = mapped_column(String(256))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column()


class RelayedMessage(Base):
    __tablename__ = "relayed_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column()
    from_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    to_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))


class Rating(Base):
    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    score: Mapped[str] = mapped_column(String(16))  # satisfied | basic | unsatisfied
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column()
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # the reporter, or a follower


# ---------------------------------------------------------------- casework (bot/duplicates.py, bot/hotspots.py)
class CaseFollower(Base):
    """A co-reporter: told every step of the case and asked to rate it. `from_case_id`: the duplicate
    whose merge made them one (an undone merge removes exactly those)."""

    __tablename__ = "case_followers"
    __table_args__ = (UniqueConstraint("case_id", "person_id", name="uq_case_followers_case_person"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    from_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    since: Mapped[datetime] = mapped_column()


class CasePart(Base):
    """A co-handling department's part of a case (联合处置): added, accepted, done with a note."""

    __tablename__ = "case_parts"
    __table_args__ = (UniqueConstraint("case_id", "department_id", name="uq_case_parts_case_department"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # assigned | accepted | done
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    department: Mapped[Department] = relationship(lazy="joined")


class HotSpotAlert(Base):
    """A 预警 sent: one grid, one category, more cases in a window than its baseline allows. One per
    grid and category a window, so a hot spot pings once."""

    __tablename__ = "hotspot_alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    case_ids: Mapped[list[Any]] = mapped_column(default=list)
    people: Mapped[int] = mapped_column(Integer, default=0)  # how many were pinged


class DeadlineStep(Base):
    """A reminder, escalation or rating step of a case's deadline round, done or skipped: never twice."""

    __tablename__ = "deadline_steps"
    __table_args__ = (UniqueConstraint("case_id", "round", "step", name="uq_deadline_steps_case_round_step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))  # e.g. resolve.escalate.1 (bot/deadlines.py)
    due_at: Mapped[datetime] = mapped_column()
    done_at: Mapped[datetime] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(12))  # done | skipped


class DigestRun(Base):
    """A daily digest sent (to everyone it concerns) for one local day: never twice."""

    __tablename__ = "digest_runs"
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    at: Mapped[datetime] = mapped_column()
    messages: Mapped[int] = mapped_column(Integer, default=0)


class SchedulerLease(Base):
    """Which bot process runs the scheduled work: the holder until `expires_at` (wall-clock time)."""

    __tablename__ = "scheduler_leases"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class TicketCounter(Base):
    __tablename__ = "ticket_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------- conversation state
class Draft(Base):
    """A report being put together: text, photos and location may arrive in any order."""

    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="resident")
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(32))
    category_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_cue: Mapped[str | None] = mapped_column(String(64))  # the words that made it urgent
    urgent_warned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # told whom to call
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    grid_id: Mapped[str | None] = mapped_column(String(32))
    address_text: Mapped[str | None] = mapped_column(String(256))
    address_id: Mapped[str | None] = mapped_column(String(32))
    media_groups: Mapped[list[Any]] = mapped_column(default=list)
    summary_outbox_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column()


class PendingInput(Base):
    """What the bot asked a person to type next (a resolution note, a reason, a reply…)."""

    __tablename__ = "pending_inputs"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime] = mapped_column()


# ---------------------------------------------------------------- transport bookkeeping
class InboundUpdate(Base):
    """Every Telegram update, stored by id before it is handled: redelivery is a no-op, a crash replays.
    Its payload is emptied `privacy.retention_days` after it arrived and was settled (`pruned_at`)."""

    __tablename__ = "inbound_updates"
    __table_args__ = (Index("ix_inbound_prune", "pruned_at", "received_at"),)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tg_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="received", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column()
    handled_at: Mapped[datetime | None] = mapped_column()
    pruned_at: Mapped[datetime | None] = mapped_column()


class OutboxMessage(Base):
    """A message the bot owes somebody; sent by the outbox worker, in order per chat."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # text | photo | album | location | edit | menu_button
    payload: Mapped[dict[str, Any]] = mapped_column()
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sending | sent | failed | unconfirmed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)



# ---------------------------------------------------------------- the command centre (web/)
class WebToken(Base):
    """A one-time login link (kind `link`, single use, minutes) or a browser session (kind `session`),
    stored by the SHA-256 of its secret and bound to a post: an officer's, or a department's staff."""

    __tablename__ = "web_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # link | session
    officer_id: Mapped[str | None] = mapped_column(ForeignKey("officers.id"))
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column()


# ---------------------------------------------------------------- API channels (Open311, web/open311.py)
class ApiKey(Base):
    """A channel's key (the 12345 hotline, a web form): stored by the SHA-256 of its secret.
    Revoking keeps the row, so the channel's name and its cases stay; creating the name again rotates it."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class ChannelRequest(Base):
    """What a channel sent with a case beyond the report itself: the caller's e-mail, the media
    URL, and where its public status changes are to be posted."""

    __tablename__ = "channel_requests"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    media_url: Mapped[str | None] = mapped_column(String(1024))
    callback_url: Mapped[str | None] = mapped_column(String(1024))


class CallbackDelivery(Base):
    """A public status change owed to a channel's callback URL; sent by the callback worker with
    retries, as the outbox sends Telegram messages. The body is rendered when it is sent."""

    __tablename__ = "callback_deliveries"
    __table_args__ = (Index("ix_callback_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"))
    url: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
