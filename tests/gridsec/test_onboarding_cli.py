"""`gridsec district onboarding` shows who has joined, by street and community; `gridsec invite
--scope ID --all` makes a code for every post nobody holds, and those codes work."""
from __future__ import annotations

import csv
from datetime import timedelta

from bot.clock import SystemClock
from bot.people import create_invite, ensure_person, redeem_invite
from gridsec.cli import _invite_all, _onboarding, main, parser
from storage.db import Database
from tests.conftest import TEST_CONFIG


async def join(url: str, tg_id: int, officer_id: str | None = None, code: str | None = None) -> None:
    db = Database(url)
    now = SystemClock().now()
    async with db.session() as session:
        person = await ensure_person(session, tg_id, tg_id, f"user{tg_id}", None, now)
        code = code or (await create_invite(session, now, timedelta(hours=1), officer_id=officer_id)).code
        await redeem_invite(session, person, code, now)
    await db.dispose()


def args(*argv: str):
    return parser().parse_args([*argv, "--config", str(TEST_CONFIG)])


async def test_onboarding_lists_each_post_by_street_and_community(database_url, capsys):
    await join(database_url, 1, "YX-O00021")  # 罗洋洋, grid officer of 秉北社区第3网格
    await join(database_url, 2, "YX-O00003")  # 罗红, street supervisor of YX-BZ
    assert await _onboarding(args("district", "onboarding", "--database", database_url)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("(YX): 2/26 joined") and "✗ 区级督办 林丽磊 (YX-O00001)" in lines[1]
    street = lines.index(next(line for line in lines if "(YX-BZ):" in line))
    assert lines[street].strip().endswith("2/13 joined") and "✓ 街道督办 罗红 (YX-O00003)" in lines[street + 1]
    assert any(line.strip() == "秉北社区 (YX-BZ-01): 1/6 joined" for line in lines)
    assert any(line.strip() == "✓ 网格员 罗洋洋 (YX-O00021)  秉北社区第3网格" for line in lines)
    assert any(line.strip() == "✗ 网格长 梁峰 (YX-O00008)" for line in lines)

    assert await _onboarding(args("district", "onboarding", "--scope", "YX-BZ-01-03",
                                  "--database", database_url)) == 0
    assert capsys.readouterr().out.splitlines() == [
        "秉北社区第3网格 (YX-BZ-01-03): 1/1 joined", "  ✓ 网格员 罗洋洋 (YX-O00021)  秉北社区第3网格"]
    assert await _onboarding(args("district", "onboarding", "--scope", "NOPE", "--database", database_url)) == 2


async def test_invite_all_gives_every_unjoined_post_of_a_scope_a_working_code(database_url, capsys, tmp_path):
    await join(database_url, 1, "YX-O00021")
    sheet = tmp_path / "codes.csv"
    assert await _invite_all(args("invite", "--scope", "YX-BZ-01", "--all", "--csv", str(sheet),
                                  "--database", database_url)) == 0
    printed = capsys.readouterr()
    rows = list(csv.DictReader(sheet.open(encoding="utf-8-sig")))
    assert [(r["officer_id"], r["post"], r["grid"]) for r in rows] == [
        ("YX-O00009", "社区书记", ""), ("YX-O00008", "网格长", ""), ("YX-O00019", "网格员", "秉北社区第1网格"),
        ("YX-O00020", "网格员", "秉北社区第2网格"), ("YX-O00022", "网格员", "秉北社区第4网格")]
    assert all(len(r["code"]) == 8 and r["expires"] and r["name"] for r in rows)
    assert f"梁峰\t网格长\t—\t/join {rows[1]['code']}\t" in printed.out and "5 invites" in printed.err
    await join(database_url, 2, code=rows[0]["code"])  # the printed code binds its post
    await _onboarding(args("district", "onboarding", "--scope", "YX-BZ-01", "--database", database_url))
    assert capsys.readouterr().out.splitlines()[0] == "秉北社区 (YX-BZ-01): 2/6 joined"


def test_invite_all_needs_a_scope_and_no_single_post(capsys):
    assert main(["invite", "--all"]) == 2
    assert main(["invite", "YX-O00001", "--all", "--scope", "YX"]) == 2
    assert "--all takes --scope" in capsys.readouterr().err
