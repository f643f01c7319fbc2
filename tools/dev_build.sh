#!/usr/bin/env bash
# In-place developer build: compiles ctpg._core into python/ctpg/ so that
# `PYTHONPATH=python pytest` runs against the working tree. Extra CMake
# arguments come from CMAKE_ARGS (split on spaces), e.g.
#   CMAKE_ARGS="-DCTPG_WERROR=ON" bash tools/dev_build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(command -v python3)
cmake -S . -B build/dev -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE="$py" \
  -Dpybind11_DIR="$("$py" -m pybind11 --cmakedir)" ${CMAKE_ARGS:-} >/dev/null
cmake --build build/dev -j"${JOBS:-2}"
