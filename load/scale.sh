#!/usr/bin/env bash
# The data at scale: a synthetic data set of variants of the Kermany images (load/scale_data.py: new content hashes,
# same labels and splits, new patients per round) grown step by step through POST /admin/import (one batch per chunk
# of images, label screen included, as an operator's import runs). After each step: the import rate of that step,
# GET /dataset/stats latency (hey, one connection), the process's memory (co-hosted API + silo: VmRSS, VmHWM), and
# one retrain through the API (fine_tune, not promoted) for the time per training epoch. Writes the data-scale
# section of docs/BENCHMARKS.md with how each figure grows.
#   load/scale.sh                                              # steps 6k 12k 30k 60k 120k: hours on 2 cores, ~2 GB of images
#   SCALE_STEPS="6000 12000" LOAD_NO_DOCS=1 load/scale.sh      # a small check
# Environment (all optional):
#   SCALE_STEPS            data set sizes to measure at (default "6000 12000 30000 60000 120000"), multiples of SCALE_CHUNK
#   SCALE_CHUNK            images per import request, i.e. per batch (default 2000)
#   SCALE_EPOCHS           epochs of the retrain at each step (default 1; 0 skips training)
#   SCALE_STATS_REQUESTS   GET /dataset/stats requests per step (default 200)
#   SCALE_TRAIN_THREADS    Pneumonia:Retrain:WorkerThreads (default 0: libtorch's choice)
#   PNEUMONIA_LOAD_IMAGES  the chest_xray root the variants are made from (default as load/run.sh)
#   LOAD_NO_DOCS=1         print the table but leave docs/BENCHMARKS.md alone
set -euo pipefail
export LOAD_WARMUP="${LOAD_WARMUP:-0}"   # no prediction load is measured here
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEPS="${SCALE_STEPS:-6000 12000 30000 60000 120000}"
CHUNK="${SCALE_CHUNK:-2000}"
EPOCHS="${SCALE_EPOCHS:-1}"
STATS_REQUESTS="${SCALE_STATS_REQUESTS:-200}"
MAX=0
for step in $STEPS; do
  (( step % CHUNK == 0 )) || { echo "SCALE_STEPS must be multiples of SCALE_CHUNK ($CHUNK): $step" >&2; exit 1; }
  (( step > MAX )) || { echo "SCALE_STEPS must grow: $STEPS" >&2; exit 1; }
  MAX=$step
done

install_tools
build_api
echo "== generating $MAX variants of $PNEUMONIA_LOAD_IMAGES in chunks of $CHUNK"
"$PY" "$LOAD/scale_data.py" "$PNEUMONIA_LOAD_IMAGES" "$WORK/imports" "$MAX" --chunk "$CHUNK" | tee "$WORK/generated.json"
# No base data set: the data set is exactly the generated images.
start_api scale --Pneumonia:Data:BaseDatasetPath= --Pneumonia:Api:ImportDirectory="$WORK/imports" \
  --Pneumonia:Retrain:WorkerThreads="${SCALE_TRAIN_THREADS:-0}"

chunk=0
for step in $STEPS; do
  echo "== importing up to $step images"
  : >"$WORK/import-$step.txt"
  while (( chunk * CHUNK < step )); do
    name="chunk-$(printf %04d "$chunk")"
    code="$(curl -sS -o "$WORK/import-$step-$name.json" -w '%{http_code} %{time_total}' -X POST "$HOST/admin/import?path=$name")"
    [[ "${code%% *}" == 200 ]] || { echo "POST /admin/import?path=$name answered $code:"; cat "$WORK/import-$step-$name.json"; exit 1; }
    echo "$name ${code#* }" >>"$WORK/import-$step.txt"
    chunk=$((chunk + 1))
  done

  echo "== GET /dataset/stats x $STATS_REQUESTS"
  curl -fsS -o "$WORK/stats-$step.json" "$HOST/dataset/stats"
  hey -n "$STATS_REQUESTS" -c 1 "$HOST/dataset/stats" >"$WORK/stats-hey-$step.txt" 2>&1 || true
  echo "$(vm_kb VmRSS) $(vm_kb VmHWM)" >"$WORK/memory-$step.txt"

  if (( EPOCHS > 0 )); then
    echo "== POST /retrain?epochs=$EPOCHS&batch_size=32&fine_tune=true&promote=false"
    curl -fsS -o "$WORK/started-$step.json" -X POST "$HOST/retrain?epochs=$EPOCHS&batch_size=32&fine_tune=true&promote=false"
    job="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$WORK/started-$step.json")"
    loading_ended=""
    while :; do
      curl -fsS -o "$WORK/job-$step.json" "$HOST/jobs/$job"
      phase="$("$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["status"], j["phase"], j["images_total"], j["batches_per_epoch"] * j["batch_size"])' "$WORK/job-$step.json")"
      read -r status current total per_epoch <<<"$phase"
      # Reported while they last: the images decoded (train, validation, test) and the training images per epoch.
      [[ "$current" == loading && "$total" -gt 0 ]] && echo "$total" >"$WORK/decoded-$step.txt"
      [[ "$per_epoch" -gt 0 ]] && echo "$per_epoch" >"$WORK/train-images-$step.txt"
      [[ -z "$loading_ended" && "$current" != loading && "$current" != queued && "$current" != pending ]] && loading_ended="$(date -u +%FT%T.%NZ)"
      [[ "$status" == completed || "$status" == failed || "$status" == cancelled ]] && break
      sleep 2
    done
    echo "$loading_ended" >"$WORK/loaded-$step.txt"
    [[ "$status" == completed ]] || { echo "the retrain at $step images ended $status:"; cat "$WORK/job-$step.json"; exit 1; }
    echo "$(vm_kb VmRSS) $(vm_kb VmHWM)" >"$WORK/memory-trained-$step.txt"
  fi
done
stop_api

"$PY" "$LOAD/report.py" scale --work "$WORK" --steps "$STEPS" --chunk "$CHUNK" --epochs "$EPOCHS" --stats-requests "$STATS_REQUESTS" \
  ${LOAD_NO_DOCS:+--no-docs} --docs "$REPO/docs/BENCHMARKS.md"
