"""Case buttons against the lifecycle table: for every status and role a card offers nothing that
check() refuses, and leaves out nothing it allows except by a choice handlers/keyboards.py states."""
from itertools import combinations

import pytest

from bot.lifecycle import RULES, Action, Role, Status, TransitionRefused, check
from handlers.keyboards import BUTTON_ACTIONS, CASE_BUTTONS, RUNNING, button_names
from handlers.render import DISPUTE_BUTTONS, SUPERVISOR_BUTTONS, VERBS
from handlers.texts import BUTTONS

CELLS = [(status, role) for status in Status for role in Role]
# Callback verbs that start no action of their own: confirming one already started, or just looking.
NOT_ACTIONS = {"resolve_ok", "withdraw_yes", "view"}


def allowed(action: Action, status: Status, roles: set[Role]) -> bool:
    try:
        check(action, status, roles, note="a note")
    except TransitionRefused:
        return False
    return True


def chosen_away(action: Action, status: Status, role: Role) -> bool:
    """Every button for `action` is kept from `role` or `status` by a choice with a stated reason."""
    return all(b.why and ((b.roles and role not in b.roles) or (b.statuses and status not in b.statuses))
               for b in CASE_BUTTONS if b.action is action)


@pytest.mark.parametrize(("status", "role"), CELLS)
def test_no_button_is_one_the_table_refuses(status, role):
    for name in button_names(status, {role}):
        assert allowed(BUTTON_ACTIONS[name], status, {role}), name


@pytest.mark.parametrize(("status", "role"), CELLS)
def test_no_allowed_action_with_a_button_is_missing(status, role):
    shown = {BUTTON_ACTIONS[name] for name in button_names(status, {role})}
    for action in set(BUTTON_ACTIONS.values()):
        if allowed(action, status, {role}) and not chosen_away(action, status, role):
            assert action in shown, action


@pytest.mark.parametrize("button", CASE_BUTTONS, ids=lambda b: b.name)
def test_choices_only_narrow_the_rule_and_say_why(button):
    rule = RULES[button.action]
    assert (button.roles or rule.roles) <= rule.roles
    assert (button.statuses or rule.sources) <= rule.sources
    narrowed = button.roles not in (None, rule.roles) or button.statuses not in (None, rule.sources)
    assert bool(button.why) == narrowed


def test_every_case_verb_starts_an_action_in_the_table():
    assert set(VERBS) - NOT_ACTIONS == set(BUTTON_ACTIONS)
    assert set(BUTTON_ACTIONS) <= set(BUTTONS)


@pytest.mark.parametrize("status", list(Status))
def test_a_viewer_in_several_roles_gets_each_roles_buttons_in_display_order(status):
    for pair in combinations(Role, 2):
        both = button_names(status, set(pair))
        assert set(both) == {n for role in pair for n in button_names(status, {role})}
        assert list(both) == [b.name for b in CASE_BUTTONS if b.name in both]


def test_the_buttons_the_hand_tables_had_left_out():
    assert "add_info" in button_names(Status.SUBMITTED, {Role.REPORTER})   # RULES: ADD_INFO from SUBMITTED
    assert "urge" in button_names(Status.RETURNED, {Role.REPORTER})        # URGE from RETURNED
    assert "return" in button_names(Status.ACCEPTED, {Role.ASSIGNEE})      # RETURN from ACCEPTED
    # a returned case's assignee was offered 驳回, which only a supervisor may do
    assert button_names(Status.RETURNED, {Role.ASSIGNEE}) == ("transfer", "reply")


def test_the_cards_people_know_keep_their_buttons():
    assert button_names(Status.ASSIGNED, {Role.ASSIGNEE}) == ("accept", "transfer", "return", "reply")
    assert button_names(Status.ASSIGNED, {Role.REPORTER}) == ("urge", "add_info", "withdraw")
    assert button_names(Status.RETURNED, {Role.SUPERVISOR}) == ("reassign", "reject")
    assert button_names(Status.RESOLVED, {Role.REPORTER}) == ("rate_satisfied", "rate_basic", "rate_unsatisfied")


def test_the_escalation_and_dispute_pings_agree_with_the_table():
    """Their buttons are fixed per ping (handlers/render.py); each must be allowed wherever the ping goes."""
    for status in RULES[Action.ESCALATE].sources:
        for name in SUPERVISOR_BUTTONS:
            assert allowed(BUTTON_ACTIONS[name], status, {Role.SUPERVISOR}), (status, name)
    for status in RUNNING:
        assert button_names(status, {Role.SUPERVISOR}) == SUPERVISOR_BUTTONS
    assert button_names(Status.RESOLVED, {Role.SUPERVISOR}) == DISPUTE_BUTTONS
