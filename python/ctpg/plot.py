"""Success and return curves of a run from its metrics.csv (needs matplotlib, optional).

``python -m ctpg.plot runs/<name> [more runs...]`` writes ``<first run>/plots/success.png``
and ``return.png``: the task-mean curve of every run given (to compare methods), and for a
single run also its per-task curves.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ctpg.logging import read_metrics


def _curve(rows: list[dict[str, str]], key: str) -> tuple[list[int], list[float]]:
    points = [(int(r["step"]), float(r[key])) for r in rows if r.get(key, "") != ""]
    return [s for s, _ in points], [v for _, v in points]


def plot_runs(run_dirs: list[str | Path], out_dir: str | Path | None = None) -> list[Path]:
    """Write success.png and return.png; returns the written paths."""
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]
    except ImportError as error:
        raise RuntimeError("plotting needs matplotlib: pip install matplotlib") from error
    runs = [Path(d) for d in run_dirs]
    out = Path(out_dir) if out_dir else runs[0] / "plots"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for metric in ("success", "return"):
        fig, ax = plt.subplots(figsize=(7, 4))
        for run in runs:
            rows = read_metrics(run / "metrics.csv")
            ax.plot(*_curve(rows, f"eval/{metric}"), label=run.name, linewidth=2)
            if len(runs) == 1:
                _per_task(ax, rows, metric)
        ax.set_xlabel("training steps (per task)")
        ax.set_ylabel(f"evaluation {metric}")
        ax.legend(fontsize="small")
        path = out / f"{metric}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written


def _per_task(ax: Any, rows: list[dict[str, str]], metric: str) -> None:
    keys = [k for k in rows[0] if k.startswith("eval/") and k.endswith(f"/{metric}")]
    for key in keys:
        if key.count("/") == 2:
            ax.plot(*_curve(rows, key), label=key.split("/")[1], alpha=0.5, linewidth=1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Plot evaluation curves of runs.")
    parser.add_argument("runs", nargs="+", help="run directories (holding metrics.csv)")
    parser.add_argument("--out", help="output folder (default <first run>/plots)")
    args = parser.parse_args()
    for path in plot_runs(args.runs, args.out):
        print(path)


if __name__ == "__main__":
    main()
