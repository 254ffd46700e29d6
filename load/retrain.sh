#!/usr/bin/env bash
# One command: a 5-epoch fine_tune retrain through the API on the full base data set, end to end, with Locust's
# mixed scenario (predictions, batches, progress polls) running during it; writes the load-retrain section of
# docs/BENCHMARKS.md (epoch profile in images/s, end-to-end time, prediction latency and failures, peak memory).
#   load/retrain.sh                  # from anywhere; ~5 minutes on 2 cores
# Environment (all optional):
#   PNEUMONIA_LOAD_IMAGES   chest_xray root, imported as the base data set (default as load/run.sh)
#   RETRAIN_EPOCHS          (default 5)
#   MIXED_USERS, MIXED_DURATION   the Locust run during the retrain (default 8 users, 60s)
#   LOAD_NO_DOCS=1          print the tables but leave docs/BENCHMARKS.md alone
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EPOCHS="${RETRAIN_EPOCHS:-5}"
MIXED_USERS="${MIXED_USERS:-8}"
MIXED_DURATION="${MIXED_DURATION:-60s}"

install_tools
build_api
start_api retrain --Pneumonia:Data:BaseDatasetPath="$PNEUMONIA_LOAD_IMAGES"

# The base data set is imported in the background at start-up: the retrain is refused (503) until it is there.
echo "== POST /retrain?epochs=$EPOCHS&batch_size=32&fine_tune=true (once the base data set is imported)"
for i in $(seq 1 180); do
  code="$(curl -s -o "$WORK/started.json" -w '%{http_code}' -X POST "$HOST/retrain?epochs=$EPOCHS&batch_size=32&fine_tune=true")"
  [[ "$code" == 202 ]] && break
  [[ "$code" == 503 ]] || { echo "POST /retrain answered $code:"; cat "$WORK/started.json"; exit 1; }
  sleep 1
done
[[ "$code" == 202 ]] || { echo "the base data set was not imported after 180 s"; exit 1; }
cat "$WORK/started.json"; echo

# Peak memory: VmHWM of the one process that serves and trains, read at the end (it only grows).
run_locust mixed "$MIXED_USERS" "$MIXED_DURATION" MixedUser

echo "== waiting for the retrain to end"
while :; do
  curl -fsS "$HOST/retrain-progress" >"$WORK/job.json" || { echo "/retrain-progress failed"; exit 1; }
  "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["running"] else 1)' "$WORK/job.json" || break
  # batches_per_epoch is reported while training runs (with the batch size: the images per epoch).
  grep -q '"batches_per_epoch":[1-9]' "$WORK/job.json" && cp "$WORK/job.json" "$WORK/running.json"
  sleep 2
done
VMHWM_KB="$(vm_kb VmHWM)"
stop_api

"$PY" "$LOAD/report.py" retrain --work "$WORK" --job "$WORK/job.json" --running "$WORK/running.json" --mixed-users "$MIXED_USERS" \
  --mixed-duration "$MIXED_DURATION" --vmhwm-kb "$VMHWM_KB" ${LOAD_NO_DOCS:+--no-docs} --docs "$REPO/docs/BENCHMARKS.md"
