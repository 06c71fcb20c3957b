"""handlers/render.py's one masking helper on its own: which numbers staff see masked, and who sees them whole."""
import pytest

from bot.config import load_config
from bot.lifecycle import Role
from handlers.render import personal, privacy_text
from tests.conftest import TEST_CONFIG

CONFIG = load_config(TEST_CONFIG, env={})


@pytest.mark.parametrize(("text", "masked"), [
    ("电话13800138000", "电话138****8000"),
    ("打+86 138-0013-8000找我", "打138****8000找我"),
    ("座机020-83331234", "座机020-******34"),
    ("座机 0755 2888888", "座机 0755-*****88"),
    ("小区值班室8333123", "小区值班室*****23"),
    ("门卫83331234", "门卫******34"),
    ("身份证440104199001011234", "身份证440104********1234"),
    ("身份证44010419900101123X号", "身份证440104********123X号"),
    ("旧证440104900101123", "旧证440104*****1123"),
])
def test_phone_and_id_numbers_are_masked_for_staff(text, masked):
    assert personal(CONFIG, text, Role.ASSIGNEE) == masked
    assert personal(CONFIG, text, {Role.SUPERVISOR}) == masked
    assert personal(CONFIG, text, set()) == masked


@pytest.mark.parametrize("text", [
    "工单 YX-20261124-0001 还没人管", "3栋12楼1203室", "等了123456分钟", "车牌粤A12345", "1380013800012345678901",
])
def test_tickets_rooms_plates_and_other_numbers_stay(text):
    assert personal(CONFIG, text, Role.ASSIGNEE) == text


def test_who_sees_numbers_whole_is_the_configuration():
    text = "电话13800138000"
    assert personal(CONFIG, text, Role.REPORTER) == text
    assert personal(CONFIG, text, {Role.REPORTER, Role.ASSIGNEE}) == text  # a patrol officer's own report
    officers_too = CONFIG.copy_with(privacy=CONFIG.privacy.copy_with(show_whole_to=["reporter", "assignee"]))
    assert personal(officers_too, text, Role.ASSIGNEE) == text
    assert personal(officers_too, text, Role.SUPERVISOR) == "电话138****8000"


def test_start_promises_what_the_configuration_does():
    assert "打码" in privacy_text(CONFIG) and "30天" in privacy_text(CONFIG) and "完整" not in privacy_text(CONFIG)
    officers_too = CONFIG.copy_with(privacy=CONFIG.privacy.copy_with(show_whole_to=["reporter", "assignee"],
                                                                     retention_days=7))
    assert "承办的工作人员看到的是完整号码" in privacy_text(officers_too) and "7天" in privacy_text(officers_too)
