#!/usr/bin/env bash
# One command: the inference floor, then load tests of the PneumoniaOrleans API on the bundled model, then the same
# against the original design (model loaded on every request); writes the inference-floor and load-predict sections
# of docs/BENCHMARKS.md.
#   load/run.sh                      # from anywhere; ~8 minutes on 2 cores
# Environment (all optional):
#   PNEUMONIA_LOAD_IMAGES   chest_xray root (default: shared/data/chest_xray beside the repository or its parent)
#   LOAD_USERS              Locust user counts for the 224 JPEG scenario (default "1 8 32 64")
#   LOAD_DURATION           each of those Locust runs (default 20s)
#   LOAD_EXTRA_DURATION     each run of the full-size / batch / original / baseline scenarios (default 15s; 0 skips them)
#   HEY_CONCURRENCY, HEY_DURATION   the hey peak-throughput run (default 32, 20s)
#   FLOOR_SECONDS           measuring time per configuration of the floor (default 1.5; 0 skips the floor)
#   LOAD_WARMUP             hey load after each start, before measuring, for the JIT (default 20s; 0 skips it)
#   LOAD_NO_DOCS=1          print the tables but leave docs/BENCHMARKS.md alone
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USERS="${LOAD_USERS:-1 8 32 64}"
DURATION="${LOAD_DURATION:-20s}"
EXTRA_DURATION="${LOAD_EXTRA_DURATION:-15s}"
HEY_C="${HEY_CONCURRENCY:-32}"
HEY_Z="${HEY_DURATION:-20s}"
FLOOR_SECONDS="${FLOOR_SECONDS:-1.5}"
extra() { [[ "$EXTRA_DURATION" != "0" && "$EXTRA_DURATION" != "0s" ]]; }

install_tools
build_api

# --- 1. the floor: raw forward rate, decode + preprocess, model load, bf16 agreement (no server running) ---------
if [[ "$FLOOR_SECONDS" != "0" ]]; then
  echo "== dotnet build -c Release grains/Pneumonia.Cli; pneumonia bench-inference"
  dotnet build -c Release "$REPO/grains/Pneumonia.Cli" -v q -nologo >"$WORK/build-cli.log" 2>&1 || { cat "$WORK/build-cli.log"; exit 1; }
  CLI="$(ls "$REPO"/grains/Pneumonia.Cli/bin/Release/net*/*/pneumonia.dll "$REPO"/grains/Pneumonia.Cli/bin/Release/net*/pneumonia.dll 2>/dev/null | head -1 || true)"
  report=(); [[ -n "${LOAD_NO_DOCS:-}" ]] || report=(--report "$REPO/docs/BENCHMARKS.md")
  dotnet "$CLI" bench-inference --images "$PNEUMONIA_LOAD_IMAGES" --seconds "$FLOOR_SECONDS" --json "$WORK/floor.json" \
    "${report[@]}" 2>"$WORK/floor.log" || { cat "$WORK/floor.log"; exit 1; }
fi

# --- 2. this API: Locust 224 JPEG at 1/8/32/64 users, full-size, batch, the original Locust file, hey ----------
start_api fast --Pneumonia:Data:BaseDatasetPath=
for u in $USERS; do run_locust "small-u$u" "$u" "$DURATION" PredictSmallUser; done
if extra; then
  run_locust large-u1 1 "$EXTRA_DURATION" PredictLargeUser
  run_locust large-u32 32 "$EXTRA_DURATION" PredictLargeUser
  run_locust batch-u4 4 "$EXTRA_DURATION" PredictBatchUser
  # The original service's Locust file, unchanged but for the image path (10 users, as its published run).
  run_locust original-u10 10 "$EXTRA_DURATION" "" "$LOAD/original_locustfile.py"
fi

echo "== hey -z $HEY_Z -c $HEY_C POST /predict"
hey -z "$HEY_Z" -c "$HEY_C" -m POST -T "multipart/form-data; boundary=$BOUNDARY" -D "$WORK/body.bin" \
  "$HOST/predict" >"$WORK/hey.txt" 2>&1 || true
VMHWM_KB="$(vm_kb VmHWM)"; VMRSS_KB="$(vm_kb VmRSS)"
stop_api

# --- 3. the original design: the model loaded from disk for every request ----------------------------------------
if extra; then
  start_api baseline --Pneumonia:Data:BaseDatasetPath= --Pneumonia:Prediction:LoadModelPerRequest=true
  run_locust baseline-u1 1 "$EXTRA_DURATION" PredictSmallUser
  run_locust baseline-u32 32 "$EXTRA_DURATION" PredictSmallUser
  BASELINE_VMHWM_KB="$(vm_kb VmHWM)"
  stop_api
fi

# --- 4. tables -> stdout and docs/BENCHMARKS.md -------------------------------------------------------------------
"$PY" "$LOAD/report.py" predict --work "$WORK" --users "$USERS" --duration "$DURATION" --extra-duration "$EXTRA_DURATION" \
  --hey "$WORK/hey.txt" --hey-c "$HEY_C" --hey-z "$HEY_Z" --vmhwm-kb "$VMHWM_KB" --vmrss-kb "$VMRSS_KB" \
  --baseline-vmhwm-kb "${BASELINE_VMHWM_KB:-0}" --floor "$WORK/floor.json" --image "$(basename "$PNEUMONIA_LOAD_IMAGE")" --warmup "${LOAD_WARMUP:-20s}" \
  ${LOAD_NO_DOCS:+--no-docs} --docs "$REPO/docs/BENCHMARKS.md"
