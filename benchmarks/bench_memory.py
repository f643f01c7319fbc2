"""Resident memory of a MetaWorld vector env: the native engine against MetaWorld's envs.

Each measurement runs in a fresh interpreter: import ctpg (and torch-free dependencies),
read the resident set size (VmRSS), build ``ctpg.make_vec_env`` over the benchmark's tasks
repeated ``per_task`` times, reset it, take one step, and read VmRSS again. The table shows
the difference (what the env costs) and the peak (VmHWM) of the whole process.

    PYTHONPATH=python python benchmarks/bench_memory.py              # mt50, 1 and 10 per task
    PYTHONPATH=python python benchmarks/bench_memory.py --benchmark mt10 --per-task 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys
import numpy as np
import ctpg
from ctpg.tasks import BENCHMARKS

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # MiB
    raise KeyError(key)

benchmark, backend, per_task = sys.argv[1], sys.argv[2], int(sys.argv[3])
tasks = list(BENCHMARKS[benchmark]) * per_task
before = status("VmRSS")
threads = 1 if backend == "native" else None
env = ctpg.make_vec_env(tasks, backend=backend, seed=0, num_threads=threads)
env.reset(seed=0)
env.step(np.zeros((len(tasks), 4), np.float32))
print(json.dumps({"envs": len(tasks), "env_mib": status("VmRSS") - before,
                  "peak_mib": status("VmHWM")}))
"""


def measure(benchmark: str, backend: str, per_task: int) -> dict[str, float]:
    """One fresh-interpreter measurement (see the module docstring)."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, benchmark, backend, str(per_task)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--benchmark", default="mt50", choices=["mt10", "mt50"])
    p.add_argument("--per-task", type=int, nargs="+", default=[1, 10])
    p.add_argument("--backend", nargs="+", default=["native", "python"])
    args = p.parse_args()
    print(
        "| benchmark | envs per task | backend | envs | env RSS (MiB) | per env (MiB) "
        "| peak RSS (MiB) |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for per_task in args.per_task:
        for backend in args.backend:
            r = measure(args.benchmark, backend, per_task)
            print(
                f"| {args.benchmark} | {per_task} | {backend} | {r['envs']:.0f} "
                f"| {r['env_mib']:,.0f} | {r['env_mib'] / r['envs']:.1f} | {r['peak_mib']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
