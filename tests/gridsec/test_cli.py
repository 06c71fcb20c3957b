"""The command line reads --config and --database wherever they are written."""
from __future__ import annotations

import pytest

from gridsec.cli import parser


@pytest.mark.parametrize("argv", [
    ["--database", "sqlite+aiosqlite:///x.db", "district", "import", "dir"],
    ["district", "import", "dir", "--database", "sqlite+aiosqlite:///x.db"],
    ["--database", "sqlite+aiosqlite:///x.db", "route", "--text", "中山五路"],
])
def test_database_before_or_after_the_command(argv):
    assert parser().parse_args(argv).database == "sqlite+aiosqlite:///x.db"


def test_no_option_means_the_config_decides():
    args = parser().parse_args(["db", "upgrade"])
    assert args.database is None and args.config is None
