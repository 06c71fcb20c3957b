"""Score a PlaceMatcher on a labelled set from scripts/make_address_eval.py.

    python -m bot.places.evaluate EVAL.csv [--district DIR] [--errors]

For typed addresses "right" means matched on the expected grid, "wrong" matched on another
grid (the costly error), "confirm" a question to the resident; the other kinds are right when
the status is the expected one.
"""
from __future__ import annotations

import argparse
import csv
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.places.matcher import PlaceMatcher

TYPED = ("road_number", "compound", "building", "landmark", "intersection")


@dataclass
class KindScore:
    total: int = 0
    outcomes: Counter = field(default_factory=Counter)  # right | wrong | confirm | miss

    def share(self, outcome: str) -> float:
        return self.outcomes[outcome] / self.total if self.total else 0.0


@dataclass
class Report:
    kinds: dict[str, KindScore]
    errors: list[tuple[dict[str, str], str, str]]  # (row, outcome, what the matcher said)
    ms_per_message: float

    def typed(self) -> KindScore:
        total = KindScore()
        for kind in TYPED:
            score = self.kinds.get(kind)
            if score:
                total.total += score.total
                total.outcomes.update(score.outcomes)
        return total

    def table(self) -> str:
        lines = [f"{'kind':<15}{'n':>5}{'right':>8}{'confirm':>9}{'wrong':>8}{'miss':>7}"]
        rows = [(k, self.kinds[k]) for k in self.kinds] + [("typed (all)", self.typed())]
        for name, s in rows:
            lines.append(f"{name:<15}{s.total:>5}{s.share('right'):>8.1%}{s.share('confirm'):>9.1%}"
                         f"{s.share('wrong'):>8.1%}{s.share('miss'):>7.1%}")
        lines.append(f"mean {self.ms_per_message:.2f} ms per message")
        return "\n".join(lines)


def outcome(row: dict[str, str], status: str, grid: str | None) -> str:
    expected = row["expected_status"]
    if expected == "matched":
        if status == "matched":
            return "right" if grid == row["expected_grid"] else "wrong"
        return "confirm" if status == "confirm" else "miss"
    if status == expected:
        return "right"
    return "wrong" if status == "matched" else "miss"


def evaluate(matcher: PlaceMatcher, rows: list[dict[str, str]]) -> Report:
    kinds: dict[str, KindScore] = defaultdict(KindScore)
    errors = []
    start = time.perf_counter()
    for row in rows:
        d = matcher.match(row["text"], row["entity"] or None)
        result = outcome(row, d.status, d.grid_id)
        kinds[row["kind"]].total += 1
        kinds[row["kind"]].outcomes[result] += 1
        if result != "right":
            said = f"{d.status} {d.reason}: " + ", ".join(
                f"{c.name}/{c.grid_id}/{c.score}" for c in d.candidates)
            errors.append((row, result, said))
    elapsed = (time.perf_counter() - start) * 1000 / max(1, len(rows))
    return Report(dict(kinds), errors, elapsed)


def read_eval(path: str | Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval", type=Path)
    ap.add_argument("--district", type=Path, default=repo.parent / "shared/data/district")
    ap.add_argument("--errors", action="store_true", help="list every message not answered right")
    args = ap.parse_args(argv)
    report = evaluate(PlaceMatcher.from_district(args.district), read_eval(args.eval))
    print(report.table())
    if args.errors:
        for row, result, said in report.errors:
            print(f"{result:<8}{row['kind']:<14}{row['text']!r} entity={row['entity']!r} "
                  f"[{row['variant']}] expected {row['expected_status']} {row['expected_grid']} -> {said}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
