#!/usr/bin/env bash
# Everything that needs a CUDA GPU, in one run: the CUDA tests (exported policy, the
# sync-free update, compiled and CUDA-graph updates against eager), then the training-step
# table of the mt10 and mt50 presets: eager, compiled and compiled + CUDA graphs side by
# side (speed-up, ATen calls per step, compile seconds, the projected paper-run hours), in
# both update orders.
# Writes its outputs under ${OUT:-gpu-results}/ (tests.txt, bench_train.md, nvidia-smi.txt).
#
#   bash benchmarks/gpu_check.sh            # after `pip install ".[test]"`
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
mkdir -p "$out"
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" \
  || { echo "gpu_check: CUDA is not available" >&2; exit 2; }
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
rc=0
python -m pytest -q -rs tests/train/test_compile.py tests/train/test_host_sync.py \
  tests/train/test_export.py 2>&1 | tee "$out/tests.txt" || rc=1
python benchmarks/bench_train.py --device cuda --preset mt10 mt50 --steps "${STEPS:-300}" \
  --update-order store-first reference --compile off on cuda-graphs 2>&1 \
  | tee "$out/bench_train.md" || rc=1
exit $rc
