"""Turning domain objects into messages: case cards, timelines, keyboards built from data,
and the Notifier the domain calls to queue what each case event implies."""
from __future__ import annotations

import re
from datetime import datetime

from bot.config import Config
from bot.deadlines import Due, span_parts
from bot.lifecycle import Action, Role, Status
from bot.mailroom import Mailroom
from bot.outbox import Button, Outgoing
from bot.people import masked_name
from bot.ports import Audience
from bot.records import Case, CaseEvent, Department, Draft, Person
from handlers.keyboards import button_names
from handlers.texts import ACTIONS, BUTTONS, CASE_ROLES, ROLES, SCORES, STATUS, t

# Telegram refuses a text over 4096 characters and a caption over 1024 ("Message is too long").
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
# How much of a description a card or a summary shows: three of them (a reminder's head, the card,
# the timeline) still fit in one message. The database keeps the whole text.
DESCRIPTION_SHOWN = 1000


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the cut marked with "…", so a message is never refused for its length."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


# Callback verbs, short because callback_data is limited to 64 bytes.
VERBS = {
    "accept": "acc", "transfer": "tr", "return": "ret", "reply": "rep", "resolve": "res",
    "resolve_ok": "rok", "reassign": "ra", "reject": "rej", "urge": "urg", "add_info": "inf",
    "withdraw": "can", "withdraw_yes": "cyes", "view": "view",
    "rate_satisfied": "rt:satisfied", "rate_basic": "rt:basic", "rate_unsatisfied": "rt:unsatisfied",
    # ---- deadlines and escalation (handlers/supervision.py)
    "supervise": "sup", "reassign_to": "ra", "extend": "ext", "reopen_case": "reo", "close_case": "cls",
    # ---- casework (handlers/casework.py)
    "verify_ok": "vok", "verify_fail": "vno", "part_accept": "pacc", "part_done": "pdone", "unmerge": "um",
}
# Events whose handlers get the case card: a dispatch of one kind or another.
CARD_ACTIONS = (Action.ASSIGN, Action.TRANSFER, Action.REOPEN, Action.UNMERGE, Action.VERIFY_FAIL)
# Whom the notifier's messages to staff are for, as privacy.show_whole_to names them.
STAFF = {Role.ASSIGNEE, Role.SUPERVISOR}
# ---- deadlines and escalation: what an escalated case offers its supervisors, and a 不满意 one.
SUPERVISOR_BUTTONS = ("supervise", "reassign_to", "extend")
DISPUTE_BUTTONS = ("reopen_case", "close_case")


def case_buttons(case: Case, names: tuple[str, ...]) -> list[list[Button]]:
    row = [Button(BUTTONS[n], f"c:{case.id}:{VERBS[n]}") for n in names]
    return [row[i:i + 3] for i in range(0, len(row), 3)]


def merge_buttons(case: Case, event: CaseEvent) -> list[list[Button]]:
    """合并到 YX-…: one per possible duplicate the filing found (bot/duplicates.py, kept on the event)."""
    return [[Button(t("merge_button", ticket=d["ticket"]), f"c:{case.id}:mg:{d['id']}")]
            for d in (event.data or {}).get("duplicates", [])]


def duplicates_text(event: CaseEvent) -> str:
    """How many possible duplicates the filing found; their tickets are on the 合并到 buttons."""
    found = (event.data or {}).get("duplicates", [])
    return t("card_duplicates", n=len(found), metres=min(d["metres"] for d in found)) if found else ""


def buttons_for(case: Case, roles: set[Role]) -> list[list[Button]]:
    """The buttons someone standing to the case in `roles` gets now (handlers/keyboards.py)."""
    return case_buttons(case, button_names(case.status, roles))


def local(config: Config, instant) -> str:
    return instant.astimezone(config.tz).strftime("%m-%d %H:%M")


def place_text(config: Config, grid_name: str | None, lat: float | None, lon: float | None,
               address: str | None = None) -> str:
    if lat is None:
        return address or "未提供"
    text = t("place_in_grid", grid=grid_name or "", lat=lat, lon=lon)
    return f"{address}，{text}" if address else text


# Personal numbers in free text: ID cards (18 or 15 characters), mainland mobiles (with or without +86 and
# separators), landlines with an area code, and 7-8 digit local numbers; not digits inside a ticket number
# or a longer run of digits.
_PERSONAL_NUMBER = re.compile(
    r"(?<![0-9A-Za-z-])(?:"
    r"(?P<id>\d{6}(?:\d{8}\d{3}[0-9Xx]|\d{9}))"
    r"|(?P<mobile>(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4})"
    r"|(?P<area>0\d{2,3})[ -]?(?P<line>\d{7,8})"
    r"|(?P<local>\d{7,8})"
    r")(?![0-9A-Za-z-])")


def _mask(match: re.Match) -> str:
    """Keep what does not identify: an ID card's first 6 and last 4, a mobile's first 3 and last 4,
    a landline's area code, and a local number's last 2."""
    if match["id"]:
        whole = match["id"]
        return whole[:6] + "*" * (len(whole) - 10) + whole[-4:]
    if match["mobile"]:
        digits = re.sub(r"\D", "", match["mobile"])[-11:]
        return digits[:3] + "****" + digits[-4:]
    if match["area"]:
        return f"{match['area']}-" + "*" * (len(match["line"]) - 2) + match["line"][-2:]
    return "*" * (len(match["local"]) - 2) + match["local"][-2:]


def personal(config: Config, text: str, viewer: Role | set[Role]) -> str:
    """`text` as someone standing to the case as `viewer` may see it: phone and ID-card numbers masked
    unless privacy.show_whole_to names one of their roles (the case record keeps them whole)."""
    roles = {viewer} if isinstance(viewer, Role) else viewer
    if roles & {Role(r) for r in config.privacy.show_whole_to}:
        return text
    return _PERSONAL_NUMBER.sub(_mask, text)


def privacy_text(config: Config) -> str:
    """What /start promises, as privacy.show_whole_to and retention_days make it true."""
    staff = [role for role in config.privacy.show_whole_to if role != Role.REPORTER]
    if not staff:
        return t("privacy_masked", days=config.privacy.retention_days)
    return t("privacy_whole", who="和".join(CASE_ROLES[role] for role in staff), days=config.privacy.retention_days)


def reporter_label(config: Config, person: Person, viewer: Role | set[Role]) -> str:
    phone = personal(config, person.phone, viewer) if person.phone else None
    if phone:
        return f"{masked_name(person.display_name)}（{phone}）"
    if person.channel:  # a hotline caller without a number: the channel reaches them
        return masked_name(person.display_name) + t("reporter_via_channel", channel=person.channel)
    return masked_name(person.display_name) + "（可通过本机器人联系）"


def assignee_text(case: Case) -> str:
    if case.assignee_department:
        return case.assignee_department.name
    if case.assignee_officer:
        grid = f"{case.grid.name} " if case.grid else ""
        return f"{grid}{case.assignee_officer.name}"
    return "待分派"


def urgent_mark(urgent: bool) -> str:
    return t("urgent_mark") if urgent else ""


def card_text(config: Config, case: Case, why: str = "", viewer: Role = Role.ASSIGNEE) -> str:
    """The case card as staff see it (`viewer`: the role it is sent for)."""
    due = due_text(config, case)
    why = personal(config, why, viewer)
    why = f"{due}\n{why}" if due and why else due or why
    return t("card", urgent_head=urgent_head(case), ticket=case.ticket,
             status=STATUS[case.status], category=config.category_name(case.category),
             description=clip(personal(config, case.description, viewer), DESCRIPTION_SHOWN),
             place=place_text(config, place_grid_name(case), case.lat, case.lon, case.address_text),
             reporter=reporter_label(config, case.reporter, viewer), created=local(config, case.created_at),
             source=t("card_source", channel=case.reporter.channel) if case.reporter.channel else "",
             why=why).rstrip()


def place_grid_name(case: Case) -> str | None:
    """The grid the place lies in (not the one a transfer gave the case to)."""
    grid = case.place_grid or case.grid
    return grid.name if grid else None


def urgent_head(case: Case) -> str:
    """🚨 紧急（煤气味）: what made it urgent, so the officer knows why before reading on."""
    if not case.urgent:
        return ""
    return t("card_urgent_because", cue=case.urgent_cue) if case.urgent_cue else t("card_urgent_head")


def emergency_text(config: Config, category: str) -> str:
    """Whom to call now: 燃气抢修 96833、火警 119."""
    lines = "、".join(f"{line.name} {line.number}" for line in config.emergency.lines_for(category))
    return t("emergency_hint", lines=lines)


def due_text(config: Config, case: Case) -> str:
    """The limits the card's reader works against (empty when none run)."""
    if case.status == Status.ASSIGNED and case.accept_due_at and case.resolve_due_at:
        return t("card_due_accept", accept=local(config, case.accept_due_at), resolve=local(config, case.resolve_due_at))
    if case.status in (Status.ACCEPTED, Status.RETURNED) and case.resolve_due_at:
        return t("card_due_resolve", resolve=local(config, case.resolve_due_at))
    return ""


def escalated_to(data: dict) -> str:
    """Who received an escalation, from its event's data: '网格长 梁峰、社区书记 林超超', the duty chat, or nobody."""
    names, roles = data.get("names") or [], data.get("roles") or []
    if names:
        return "、".join(f"{ROLES.get(r, '')} {n}".strip() for n, r in zip(names, roles))
    return t("duty_chat") if data.get("duty") else t("nobody_reached")


# Deadlines in lists (/tasks, the morning digest) are told by local day: 今天 15:30, 明天 09:00.
DAY_WORDS = {-1: "day_yesterday", 0: "day_today", 1: "day_tomorrow"}


def due_short(config: Config, due: Due) -> str:
    """A deadline as lists show it: 今天 15:30, 明天 09:00, 昨天 17:30, else 11月26日 09:00."""
    at = due.at.astimezone(config.tz)
    clock = at.strftime("%H:%M")
    key = DAY_WORDS.get(due.days)
    return t(key, time=clock) if key else t("day_date", month=at.month, day=at.day, time=clock)


def limit_text(config: Config, due: Due | None) -> str:
    """A list line's running limit: 接单时限 今天 14:30, or ⏰已超时2小时（办结时限 昨天 17:30）; empty without one."""
    if due is None:
        return ""
    phase, when = t(f"phase_{due.phase}"), due_short(config, due)
    if due.overdue:
        return t("due_overdue", late=span_text(due.late), phase=phase, due=when)
    return t("due_running", phase=phase, due=when)


def span_text(span) -> str:
    """A length of time as 2天3小时 / 1小时30分钟 / 45分钟."""
    days, hours, minutes = span_parts(span)
    parts = [t("dur_days", n=days) if days else "", t("dur_hours", n=hours) if hours else "",
             t("dur_minutes", n=minutes) if minutes and not days else ""]
    return "".join(parts) or t("dur_zero")


def summary_text(config: Config, draft: Draft, grid_name: str | None, photos: int) -> str:
    return t("summary", category=config.category_name(draft.category or "other"),
             urgent=urgent_mark(draft.urgent), description=clip(draft.description, DESCRIPTION_SHOWN),
             place=place_text(config, grid_name, draft.lat, draft.lon, draft.address_text), photos=photos)


# A case view shows the newest this many timeline rows (a long-running case has hundreds of reminders).
TIMELINE_SHOWN = 30


def timeline_text(config: Config, events: list[CaseEvent], viewer: set[Role]) -> str:
    lines = [t("timeline_more", n=len(events) - TIMELINE_SHOWN)] if len(events) > TIMELINE_SHOWN else []
    for e in events[-TIMELINE_SHOWN:]:
        note = f"：{e.note}" if e.note and e.action not in (Action.RELAY,) else ""
        if e.action == Action.RATE:
            note = f"：{SCORES.get(e.data.get('score'), '')}" + (f" {e.note}" if e.note else "")
        elif e.action == Action.ESCALATE:
            note = "：" + escalated_to(e.data)
        elif e.action in (Action.MERGE, Action.ABSORB, Action.UNMERGE, Action.SPLIT):
            note = f" {e.data.get('other', '')}"
        elif e.action in (Action.ADD_PART, Action.ACCEPT_PART, Action.FINISH_PART):
            note = f" {e.data.get('name', '')}" + (f"：{e.note}" if e.note else "")
        elif e.action == Action.CO_RATE:
            note = f"：{SCORES.get(e.data.get('score'), '')}"
        lines.append(t("timeline_line", time=local(config, e.at), action=ACTIONS.get(e.action, e.action),
                       note=personal(config, note, viewer)[:80]))
    return "\n".join(lines)


def draft_buttons() -> list[list[Button]]:
    return [[Button(BUTTONS["confirm"], "d:ok"), Button(BUTTONS["modify"], "d:edit"),
             Button(BUTTONS["cancel"], "d:no")]]


def category_buttons(config: Config, ranking: list[str]) -> list[list[Button]]:
    """The likeliest categories first, then the rest, three a row."""
    ordered = list(dict.fromkeys([c for c in ranking if c in config.categories] + list(config.categories)))
    row = [Button(config.categories[c].name.split("/")[0], f"d:cat:{c}") for c in ordered]
    rows = [row[i:i + 3] for i in range(0, len(row), 3)]
    return rows + [[Button(BUTTONS["redescribe"], "d:redo")]]


def place_buttons(candidates) -> list[list[Button]]:
    """The likeliest places from the address library, and a way out: share the location instead."""
    rows = [[Button(c.name, f"d:place:{c.address_id}")] for c in candidates[:3]]
    return rows + [[Button(BUTTONS["none_of_these"], "d:place:-")]]


def department_buttons(case: Case, departments: list[Department]) -> list[list[Button]]:
    return [[Button(d.name, f"t:{case.id}:d:{d.id}")] for d in departments]


def transfer_buttons(case: Case, departments: list[Department]) -> list[list[Button]]:
    return department_buttons(case, departments) + [[Button(t("transfer_other_grid"), f"t:{case.id}:g")],
                                                    [Button(t("transfer_joint"), f"t:{case.id}:j")]]


def joint_buttons(case: Case, departments: list[Department]) -> list[list[Button]]:
    """联合处置: a co-handling department each."""
    return [[Button(d.name, f"t:{case.id}:p:{d.id}")] for d in departments]


class OutboxNotifier:
    """The domain's Notifier for Telegram: renders each case event and queues it in the outbox."""

    def __init__(self, mail: Mailroom, config: Config) -> None:
        self.mail, self.config = mail, config
        self.send = mail.send

    async def card(self, case: Case, person: Person, why: str = "", role: Role = Role.ASSIGNEE,
                   extra: list[list[Button]] = ()) -> None:
        """Photos, the location pin and the card with the buttons of `role` (and `extra` rows), in that order."""
        photos = await self.mail.photos(case)
        if len(photos) == 1:
            self.send(Outgoing(person.chat_id, "photo", photos=photos, case_id=case.id))
        elif photos:
            self.send(Outgoing(person.chat_id, "album", photos=photos[:10], case_id=case.id))
        if case.lat is not None:
            self.send(Outgoing(person.chat_id, "location", location=(case.lat, case.lon), case_id=case.id))
        self.send(Outgoing(person.chat_id, text=card_text(self.config, case, why, role), case_id=case.id,
                           buttons=buttons_for(case, {role}) + list(extra)))

    async def duty_escalation(self, case: Case, event: CaseEvent, chat_id: int) -> None:
        """The duty chat's copy: the escalation and the card, without buttons (a group presses for nobody)."""
        data = event.data or {}
        due = _instant(data.get("due"))
        head = t("ping_escalated_duty", ticket=case.ticket, phase=t(f"phase_{data.get('phase')}"),
                 due=local(self.config, due), late=span_text(event.at - due), assignee=assignee_text(case))
        self.send(Outgoing(chat_id, text=f"{head}\n\n{card_text(self.config, case, viewer=Role.SUPERVISOR)}",
                           case_id=case.id))

    async def retire_cards(self, case: Case, people: list[Person]) -> None:
        for person in people:
            for outbox_id in await self.mail.buttoned(case, person.chat_id):
                self.send(Outgoing(person.chat_id, "unbutton", edit_of=outbox_id, case_id=case.id))

    async def prompt_dropped(self, case: Case, person: Person) -> None:
        self.send(Outgoing(person.chat_id, text=t("prompt_dropped", ticket=case.ticket, status=STATUS[case.status],
                                                  assignee=assignee_text(case)), case_id=case.id))

    async def case_event(self, case: Case, event: CaseEvent, audience: Audience, people: list[Person]) -> None:
        for person in people:
            await self._one(case, event, audience, person)

    async def _one(self, case: Case, event: CaseEvent, audience: Audience, person: Person) -> None:
        if await self._ping(case, event, audience, person):
            return
        action = event.action
        note = personal(self.config, event.note or "", {Role.REPORTER} if audience is Audience.REPORTER else STAFF)
        data = event.data or {}
        params = dict(ticket=case.ticket, assignee=assignee_text(case), note=note, other=data.get("other", ""),
                      part=data.get("name", ""), resolution=personal(self.config, case.resolution_note or "", STAFF))
        if audience is Audience.ASSIGNEES and action in CARD_ACTIONS:
            why = {Action.TRANSFER: t("card_why_transfer", note=note),
                   Action.REOPEN: t("card_why_reopen", note=note),
                   Action.UNMERGE: t("card_why_unmerge"),
                   Action.VERIFY_FAIL: t("card_why_verify_fail", note=note)}.get(action, duplicates_text(event))
            await self.card(case, person, why, extra=merge_buttons(case, event))
        elif audience is Audience.VERIFIER:
            await self.card(case, person, t("card_why_check", assignee=assignee_text(case), note=note), Role.VERIFIER)
        elif audience is Audience.CO_HANDLERS:
            await self.card(case, person, t("card_why_part", assignee=assignee_text(case)), Role.CO_HANDLER)
        elif audience is Audience.ASSIGNEES and action == Action.VERIFY:
            self.send(Outgoing(person.chat_id, text=t("n_verify_staff", **params), case_id=case.id))
        elif audience is Audience.SUPERVISORS:
            _, actor = await self.mail.who(event.actor_id)
            await self.card(case, person, t("card_why_return", actor=actor, note=note), Role.SUPERVISOR)
        elif audience is Audience.PREVIOUS:
            key = "n_reject_previous" if action == Action.REJECT else "n_transfer_away"
            self.send(Outgoing(person.chat_id, text=t(key, **params), case_id=case.id))
        elif action == Action.RELAY:
            await self._relay(case, event, audience, person, params)
        elif audience is Audience.REPORTER:
            await self._to_reporter(case, action, person, params)
        else:
            if action in (Action.RATE, Action.CO_RATE):
                params["score"] = SCORES.get(event.data.get("score"), "")
                params["note"] = f"，{note}" if note else ""
            self.send(Outgoing(person.chat_id, text=t(f"n_{action}", **params), case_id=case.id))
            if action == Action.ADD_INFO and event.data.get("attachment"):
                await self._photo(case, person, event.data["attachment"])

    async def _to_reporter(self, case: Case, action: str, person: Person, params: dict) -> None:
        buttons = []
        if action in (Action.RESOLVE, Action.VERIFY):  # followers rate with the reporter's buttons (CO_RATE)
            photos = await self.mail.photos(case, ("resolution", "verification"))
            if photos:
                self.send(Outgoing(person.chat_id, "photo" if len(photos) == 1 else "album",
                                   photos=photos[:10], case_id=case.id))
            buttons = buttons_for(case, {Role.REPORTER})
        self.send(Outgoing(person.chat_id, text=t(f"n_{action}", **params), buttons=buttons, case_id=case.id))

    async def _relay(self, case: Case, event: CaseEvent, audience: Audience, person: Person, params: dict) -> None:
        key = "n_relay_to_reporter" if audience is Audience.REPORTER else "n_relay_to_staff"
        if event.data.get("attachment"):
            await self._photo(case, person, event.data["attachment"])
        if event.note:
            self.send(Outgoing(person.chat_id, text=t(key, **params), case_id=case.id))

    # ---- deadlines and escalation
    async def _ping(self, case: Case, event: CaseEvent, audience: Audience, person: Person) -> bool:
        """Reminders, escalations, 督办, 延期, rating requests, disputes and the automatic close: one
        message each, carrying the case card and the buttons that act on it. False: not one of these."""
        action, data, config = event.action, event.data or {}, self.config
        due = _instant(data.get("due"))
        staff_buttons = buttons_for(case, {Role.ASSIGNEE})
        if action == Action.REMIND:
            head = t(f"ping_remind_{data.get('phase')}", ticket=case.ticket, due=local(config, due),
                     left=span_text(due - event.at))
            text, buttons = f"{head}\n\n{card_text(config, case)}", staff_buttons
        elif action == Action.ESCALATE and audience is Audience.SUPERVISORS:
            head = t("ping_escalated", ticket=case.ticket, phase=t(f"phase_{data.get('phase')}"),
                     due=local(config, due), late=span_text(event.at - due), assignee=assignee_text(case))
            text = f"{head}\n\n{card_text(config, case, viewer=Role.SUPERVISOR)}"
            buttons = case_buttons(case, SUPERVISOR_BUTTONS)
        elif action == Action.ESCALATE:
            reached = data.get("names") or data.get("duty")
            text = t("n_escalated" if reached else "n_escalated_nobody", ticket=case.ticket,
                     phase=t(f"phase_{data.get('phase')}"), late=span_text(event.at - due), names=escalated_to(data))
            buttons = staff_buttons
        elif action == Action.SUPERVISE:
            head = t("ping_supervise", actor=await self._actor(event), ticket=case.ticket,
                     note=personal(config, event.note or "", STAFF))
            text, buttons = f"{head}\n\n{card_text(config, case)}", staff_buttons
        elif action == Action.EXTEND:
            text = t("n_extend", ticket=case.ticket, actor=await self._actor(event),
                     due=local(config, case.resolve_due_at), note=personal(config, event.note or "", STAFF))
            buttons = []
        elif action == Action.ASK_RATING:
            text = t("ping_ask_rating", ticket=case.ticket, note=case.resolution_note or "")
            buttons = buttons_for(case, {Role.REPORTER})
        elif action == Action.DISPUTE:
            why = t("card_why_dispute", note=f"：{event.note}" if event.note else "。")
            text, buttons = card_text(config, case, why, Role.SUPERVISOR), case_buttons(case, DISPUTE_BUTTONS)
        elif action == Action.CLOSE and data.get("auto"):
            text, buttons = t("n_close_auto", ticket=case.ticket), []
        else:
            return False
        self.send(Outgoing(person.chat_id, text=text, buttons=buttons, case_id=case.id))
        return True

    async def _photo(self, case: Case, person: Person, attachment_id: int) -> None:
        file_id = await self.mail.file_id(attachment_id)
        if file_id:
            self.send(Outgoing(person.chat_id, "photo", photos=[file_id], case_id=case.id))

    async def _actor(self, event: CaseEvent) -> str:
        """Who acted, by their post when they hold one: '网格长 梁峰'."""
        role, name = await self.mail.who(event.actor_id)
        return f"{ROLES.get(role, '')} {name}".strip() if role else name


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
