"""`gridsec simulate`: a scripted conversation through the real bot and the Telegram stand-in.

Each step is injected as a real update; the runner waits until the bot has handled it and the
outbox has delivered everything it owes, then prints one JSON object per message the bot sent.
"""
from __future__ import annotations

import asyncio
import json
import socket
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, TextIO

import yaml
from sqlalchemy import func, select

from gridsec.app import BotRuntime, build_services
from bot.clock import ManualClock, SystemClock, parse_duration
from bot.config import Config, DatabaseConfig, DistrictConfig
from bot.outbox import OWED
from bot.people import create_invite, ensure_person, redeem_invite
from standin import StandIn
from storage.models import Case, InboundUpdate, OutboxMessage

SAMPLE_PHOTO = Path(__file__).resolve().parent / "assets" / "sample.jpg"
STEP_KEYS = {"text", "photo", "album", "location", "press", "command", "sticker", "voice", "video",
             "document", "contact", "advance"}


class ScriptError(ValueError):
    pass


@dataclass
class SimUser:
    name: str
    role: str
    tg_id: int
    officer_id: str | None = None
    department: str | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_script(path: Path) -> dict[str, Any]:
    try:
        script = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScriptError(f"{path}: {exc}") from None
    if not isinstance(script, dict) or not isinstance(script.get("steps"), list):
        raise ScriptError(f"{path}: needs a `steps` list (and usually `users`)")
    names = set()
    for i, user in enumerate(script.get("users", [])):
        if not isinstance(user, dict) or "name" not in user or "role" not in user:
            raise ScriptError(f"users[{i}]: needs name and role")
        if user["role"] not in ("resident", "department_staff") and not user.get("officer_id"):
            raise ScriptError(f"users[{i}] ({user['name']}): staff need officer_id")
        if user["role"] == "department_staff" and not user.get("department"):
            raise ScriptError(f"users[{i}] ({user['name']}): department_staff need department")
        names.add(user["name"])
    for i, step in enumerate(script["steps"], 1):
        if not isinstance(step, dict) or not (set(step) & STEP_KEYS):
            raise ScriptError(f"steps[{i}]: one of {sorted(STEP_KEYS)} is needed, got {step!r}")
        if "advance" not in step and step.get("user") not in names:
            raise ScriptError(f"steps[{i}]: unknown user {step.get('user')!r}")
    return script


def photo_bytes(ref: str, base: Path) -> bytes:
    if ref == "sample":
        return SAMPLE_PHOTO.read_bytes()
    path = Path(ref) if Path(ref).is_absolute() else base / ref
    return path.read_bytes()


class Simulation:
    def __init__(self, config: Config, script: dict[str, Any], base_dir: Path,
                 emit: Callable[[dict], None], *, transport: str = "polling") -> None:
        start = script.get("start")
        self.clock = ManualClock(datetime.fromisoformat(str(start))) if start else ManualClock(SystemClock().now())
        self.config, self.script, self.base_dir, self.emit = config, script, base_dir, emit
        self.transport = transport
        self.users: dict[str, SimUser] = {}
        self.standin = StandIn(clock=lambda: self.clock.now().timestamp())
        self.runtime: BotRuntime | None = None
        self._seen = 0

    async def __aenter__(self) -> "Simulation":
        await self.standin.start()
        config = self.config.copy_with(telegram=self.config.telegram.copy_with(
            token=self.standin.token, base_url=self.standin.bot_base_url,
            file_base_url=self.standin.file_base_url, mode="polling"))
        try:
            await self._start_runtime(config)
        except BaseException:
            await self.standin.stop()
            raise
        for i, spec in enumerate(self.script.get("users", [])):
            await self._add_user(spec, 100001 + i)
        return self

    async def _start_runtime(self, config: Config) -> None:
        self.runtime = BotRuntime(config, services=await build_services(config, self.clock))
        if self.transport == "webhook":
            port = free_port()
            await self.runtime.start(mode="webhook", port=port,
                                     webhook_url=f"http://127.0.0.1:{port}/{config.telegram.webhook.url_path}")
        else:
            await self.runtime.start(mode="polling")

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database and stand-in, as a redeploy would."""
        config = self.runtime.config
        await self.runtime.stop()
        await self._start_runtime(config)

    async def tick(self):
        """Do what fell due at the domain clock's now (reminders, escalations, digests), as the
        scheduler would; returns the Supervisor's TickReport."""
        return await self.runtime.supervisor.tick()

    async def __aexit__(self, *exc) -> None:
        await self.runtime.stop()
        await self.standin.stop()

    async def _add_user(self, spec: dict, tg_id: int) -> None:
        user = SimUser(spec["name"], spec["role"], tg_id, spec.get("officer_id"), spec.get("department"))
        self.users[user.name] = user
        self.standin.add_user(tg_id, spec.get("display_name", user.name))
        if user.role == "resident":
            return
        services = self.runtime.services
        async with services.db.session() as session:
            person = await ensure_person(session, tg_id, tg_id, spec.get("display_name", user.name), None,
                                         self.clock.now())
            invite = await create_invite(session, self.clock.now(), timedelta(hours=1),
                                         officer_id=user.officer_id, department_id=user.department)
            await redeem_invite(session, person, invite.code, self.clock.now())

    async def run(self) -> None:
        for number, step in enumerate(self.script["steps"], 1):
            await self.play(step, number)

    async def play(self, step: dict, number: int = 0) -> list[dict]:
        """One step, played to the end: returns (and emits) what the bot sent because of it."""
        update_ids = await self.step(step)
        await self.settle(update_ids)
        return await self.flush(number)

    async def step(self, step: dict) -> list[int]:
        if "advance" in step:
            self.clock.advance(parse_duration(str(step["advance"])))
            await self.tick()  # what fell due meanwhile, without waiting for the scheduler's timer
            return []
        user = self.users[step["user"]]
        s = self.standin
        if "press" in step:
            message_id, data = self._button(user, step["press"])
            return [s.inject_callback(user.tg_id, message_id, data).update_id]
        if "command" in step:
            return [s.inject_text(user.tg_id, "/" + str(step["command"]).lstrip("/")).update_id]
        if "photo" in step or "album" in step:
            refs = step.get("album") or [step["photo"]]
            group = f"album-{id(step)}" if len(refs) > 1 else None
            return [s.inject_photo(user.tg_id, photo_bytes(str(r), self.base_dir),
                                   caption=step.get("text") if i == 0 else None, media_group_id=group).update_id
                    for i, r in enumerate(refs)]
        if "location" in step:
            lat, lon = step["location"]
            return [s.inject_location(user.tg_id, float(lat), float(lon)).update_id]
        for kind in ("sticker", "voice", "video"):
            if kind in step:
                return [getattr(s, f"inject_{kind}")(user.tg_id).update_id]
        if "document" in step:
            return [s.inject_document(user.tg_id, b"%PDF-1.4", str(step["document"])).update_id]
        if "contact" in step:
            return [s.inject_contact(user.tg_id, str(step["contact"]), user.name).update_id]
        reply_to = await self._last_case_message(user) if step.get("reply") else None
        return [s.inject_text(user.tg_id, str(step["text"]), reply_to_message_id=reply_to).update_id]

    def _button(self, user: SimUser, label: str) -> tuple[int, str]:
        for message in reversed(self.standin.messages_to(user.tg_id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return message["message_id"], button["callback_data"]
        raise ScriptError(f"no message to {user.name} has a button {label!r}")

    async def _last_case_message(self, user: SimUser) -> int:
        """The newest message to `user` that belongs to a case (a card, a relayed note): what 'reply' answers."""
        async with self.runtime.services.db.session() as session:
            message_id = await session.scalar(
                select(OutboxMessage.tg_message_id).where(
                    OutboxMessage.chat_id == user.tg_id, OutboxMessage.case_id.is_not(None),
                    OutboxMessage.status == "sent", OutboxMessage.kind != "edit")
                .order_by(OutboxMessage.tg_message_id.desc()).limit(1))
        if message_id is None:
            raise ScriptError(f"{user.name} has no case message to reply to")
        return message_id

    async def settle(self, update_ids: list[int], timeout: float = 60.0) -> None:
        """Wait until the injected updates are handled and the outbox owes nothing that is due."""
        db = self.runtime.services.db
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            async with db.session() as session:
                handled = await session.scalar(select(func.count()).select_from(InboundUpdate).where(
                    InboundUpdate.update_id.in_(update_ids), InboundUpdate.status != "received")) \
                    if update_ids else 0
                owed = await session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.status.in_(OWED)).limit(1))
            if handled == len(update_ids) and owed is None:
                return
            self.runtime.outbox.wake()
            await asyncio.sleep(0.01)
        raise TimeoutError("the bot did not finish the step in time")

    async def flush(self, step: int) -> list[dict]:
        records = self.standin.sent[self._seen:]
        self._seen = len(self.standin.sent)
        if not records:
            return []
        async with self.runtime.services.db.session() as session:
            rows = (await session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.tg_message_id, Case.ticket)
                .join(Case, Case.id == OutboxMessage.case_id)
                .where(OutboxMessage.status == "sent"))).all()
        tickets = {(chat, mid): ticket for chat, mid, ticket in rows}
        by_id = {u.tg_id: u for u in self.users.values()}
        out = []
        for r in records:
            user = by_id.get(r["chat_id"])
            markup = r.get("reply_markup") or {}
            out.append({
                "step": step, "to": user.name if user else r["chat_id"], "role": user.role if user else None,
                "text": r.get("text") or "", "buttons": [b["text"] for row in markup.get("inline_keyboard", [])
                                                          for b in row],
                "photo": bool(r.get("photo") or r.get("media")), "location": r.get("location"),
                "case": tickets.get((r["chat_id"], r["message_id"])), "edited": bool(r.get("edited")),
            })
            self.emit(out[-1])
        return out


# A simulation's clock stands still between `advance` steps, so a whole script would count as one
# minute against the per-person message limit: simulations lift it (tests of the limit set it back).
UNLIMITED = 1_000_000


def simulation_config(config: Config, database: str | None, district: str | None, workdir: Path) -> Config:
    """A simulation runs on its own fresh database (unless told otherwise), at full outbox speed
    and without the per-person message limit."""
    url = database or f"sqlite+aiosqlite:///{workdir / 'simulate.db'}"
    return config.copy_with(database=DatabaseConfig(url=url),
                            district=DistrictConfig(dir=str(Path(district).resolve())) if district else config.district,
                            storage=config.storage.copy_with(photo_dir=str(workdir / "photos")),
                            outbox=config.outbox.copy_with(per_chat_per_second=1000, per_chat_burst=1000,
                                                           global_per_second=1000),
                            limits=config.limits.copy_with(messages_per_minute=UNLIMITED))


async def run_simulation(config: Config, script_path: Path, *, database: str | None = None,
                         district: str | None = None, out: TextIO, pretty: bool = False,
                         afterwards: Callable[[Simulation], Awaitable[None]] | None = None) -> None:
    """Plays the script; `afterwards` runs once it is played, while the bot (and its database) still run."""
    script = load_script(script_path)
    with tempfile.TemporaryDirectory(prefix="gridsec-sim-") as tmp:
        cfg = simulation_config(config, database, district, Path(tmp))

        def emit(record: dict) -> None:
            out.write(render_pretty(record) if pretty else json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()

        async with Simulation(cfg, script, script_path.parent, emit) as sim:
            await sim.run()
            if afterwards is not None:
                await afterwards(sim)


def render_pretty(record: dict) -> str:
    """The demo's readable form of one sent message."""
    head = f"[{record['step']:>2}] → {record['to']} ({record['role']})"
    if record["photo"]:
        body = "🖼 照片"
    elif record["location"]:
        body = f"📍 位置 {record['location'][0]:.5f}, {record['location'][1]:.5f}"
    else:
        body = record["text"]
    buttons = "  " + " ".join(f"[{b}]" for b in record["buttons"]) if record["buttons"] else ""
    edited = " (更新)" if record.get("edited") else ""
    indented = "\n      ".join(body.splitlines())
    return f"{head}{edited}\n      {indented}{buttons and chr(10) + '     ' + buttons}\n"

