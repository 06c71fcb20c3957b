"""The transition table on its own: allowed moves, refused ones and why."""
import pytest

from bot.lifecycle import FINAL, OPEN, RULES, Action, Role, Status, TransitionRefused, check


def test_happy_path_follows_the_table():
    status = Status.SUBMITTED
    for action, role in ((Action.ASSIGN, Role.SYSTEM), (Action.ACCEPT, Role.ASSIGNEE),
                         (Action.RESOLVE, Role.ASSIGNEE), (Action.RATE, Role.REPORTER)):
        rule = check(action, status, {role}, note="done")
        status = rule.target
    assert status is Status.CLOSED


@pytest.mark.parametrize("status", sorted(FINAL))
def test_nothing_changes_a_final_case(status):
    for action, rule in RULES.items():
        if rule.target is not None:
            with pytest.raises(TransitionRefused):
                check(action, status, {Role.REPORTER, Role.ASSIGNEE, Role.SUPERVISOR, Role.SYSTEM}, note="x")


def test_refusals_say_why():
    with pytest.raises(TransitionRefused) as refused:
        check(Action.ACCEPT, Status.ACCEPTED, {Role.ASSIGNEE})
    assert refused.value.reason == "already_accepted"
    with pytest.raises(TransitionRefused) as refused:
        check(Action.ACCEPT, Status.ASSIGNED, {Role.REPORTER})
    assert refused.value.reason == "not_your_case"
    with pytest.raises(TransitionRefused) as refused:
        check(Action.TRANSFER, Status.ACCEPTED, {Role.ASSIGNEE}, note="  ")
    assert refused.value.reason == "note_required"


def test_only_the_reporter_cancels_and_rates():
    for role in (Role.ASSIGNEE, Role.SUPERVISOR, Role.SYSTEM):
        with pytest.raises(TransitionRefused):
            check(Action.CANCEL, Status.ASSIGNED, {role})
        with pytest.raises(TransitionRefused):
            check(Action.RATE, Status.RESOLVED, {role})


def test_every_open_status_can_be_cancelled_and_every_status_is_reachable():
    assert RULES[Action.CANCEL].sources == OPEN
    reachable = {Status.SUBMITTED} | {r.target for r in RULES.values() if r.target}
    assert reachable == set(Status)


def test_filing_is_the_one_rule_for_a_case_that_does_not_exist_yet():
    assert [a for a, r in RULES.items() if not r.sources] == [Action.FILE]
    assert check(Action.FILE, None, {Role.REPORTER}).target is Status.SUBMITTED
    with pytest.raises(TransitionRefused) as refused:
        check(Action.FILE, Status.ASSIGNED, {Role.SYSTEM})
    assert refused.value.reason == "not_accepted"
    with pytest.raises(ValueError):
        check(Action.ACCEPT, None, {Role.ASSIGNEE})


def test_a_rating_comment_follows_each_way_a_rating_leaves_the_case():
    after_rating = {RULES[Action.RATE].target, RULES[Action.REOPEN].target, *RULES[Action.DISPUTE].sources}
    assert RULES[Action.RATE_COMMENT].sources == after_rating
    assert RULES[Action.RATE_COMMENT].roles == {Role.REPORTER}
