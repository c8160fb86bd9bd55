#!/usr/bin/env bash
# The GPU measurements of benchmarks/README.md in one command, each part under its own time limit
# so that a slow or failing part leaves the others' results:
#   1. the machine (GPU, driver, torch);
#   2. the tests of the model, devices, stacked runs and training, on CUDA where they can;
#   3. benchmarks/batched_seeds.py on CUDA: whole runs and training steps, stacked against one
#      after another and against 4 runs in 4 processes (results written after every measurement);
#   4. `lengen reproduce --profile smoke --stack` on CUDA for two tasks, 3 seeds.
#
# Usage: benchmarks/gpu_measurements.sh [OUT_DIR]   (default benchmarks/results/gpu)
# Runs from a checkout without installing lengen (PYTHONPATH); PYTHON picks the interpreter.
set -u
OUT=${1:-benchmarks/results/gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
SCRATCH=$(mktemp -d)

{
  date -u +"%Y-%m-%d %H:%M UTC"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  "$PY" -c "import torch, numpy; print('torch', torch.__version__, '| numpy', numpy.__version__, '|', torch.cuda.get_device_name())"
  echo "CPUs: $(nproc)"
} 2>&1 | tee "$OUT/environment.txt"

echo "== tests on CUDA"
timeout "${TEST_SECONDS:-60}" "$PY" -m pytest -q -p no:cacheprovider \
  tests/test_model.py tests/test_devices.py tests/test_stacked_runs.py tests/test_train.py 2>&1 | tee "$OUT/tests.txt" | tail -5

echo "== benchmarks/batched_seeds.py"
timeout "${BENCH_SECONDS:-360}" "$PY" benchmarks/batched_seeds.py --device cuda --protocol --repeats 1 \
  --protocol-steps 300 --out "$OUT/batched_seeds.json" 2>&1 | tee "$OUT/batched_seeds.log" | grep -v "^check"
echo "benchmark exit status ${PIPESTATUS[0]}"

echo "== lengen reproduce --stack on CUDA"
timeout "${SMOKE_SECONDS:-90}" "$PY" -m lengen reproduce --profile smoke --tasks bin_majority,tomita1 --seeds 3 \
  --device cuda --stack --out "$SCRATCH/smoke" 2>&1 | tee "$OUT/smoke.log" | tail -4
cp "$SCRATCH/smoke/table.md" "$OUT/smoke_table.md" 2>/dev/null
cp "$SCRATCH/smoke/run_info.json" "$OUT/smoke_run_info.json" 2>/dev/null
rm -rf "$SCRATCH"
