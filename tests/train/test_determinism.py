"""Same seed -> identical metrics on CPU; another seed -> different metrics."""

from __future__ import annotations

import ctpg
from ctpg.metrics import read_metrics


def _metrics(run_dir) -> list[dict[str, str]]:
    rows = read_metrics(run_dir / "metrics.csv")
    return [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rows]


def test_same_seed_same_metrics(tiny) -> None:
    a = _metrics(ctpg.train(tiny("mhsac", "ctpg", name="a"), progress=False))
    b = _metrics(ctpg.train(tiny("mhsac", "ctpg", name="b"), progress=False))
    assert len(a) == 2
    assert a == b


def test_other_seed_other_metrics(tiny) -> None:
    a = _metrics(ctpg.train(tiny("mhsac", "ctpg", name="a"), progress=False))
    c = _metrics(ctpg.train(tiny("mhsac", "ctpg", name="c", seed=4), progress=False))
    assert a[-1]["eval/return"] != c[-1]["eval/return"]
