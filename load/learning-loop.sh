#!/usr/bin/env bash
# The learning loop's safety benchmark (issue 12): four ways an ordinary user could make production worse, each run
# through the REST API on the full data set; for each, what the system answered, the promotion gate's decision and
# production's metrics on the official test split before and after (evaluated only, never used to choose anything).
# Target: production's test ROC-AUC never drops by more than 0.005, sensitivity and specificity by more than 0.02.
#   load/learning-loop.sh                   # ~20-25 minutes on 2 cores; writes the learning-loop section of docs/BENCHMARKS.md
# Scenarios (LOOP_SCENARIOS, default all, in this order):
#   startup    a 5-epoch fine_tune retrain sent right after start-up, while the base data set is being imported
#   unchanged  a 5-epoch fine_tune retrain on the unchanged data set
#   tiny       no base data set: 40 uploaded images, then a 3-epoch retrain
#   swapped    600 training images uploaded with NORMAL and PNEUMONIA swapped, then a 5-epoch retrain
#   improving  production is a weaker model (the same recipe, head only, 1 epoch); a 5-epoch fine_tune retrain on the
#              full data set should beat it and be promoted: the gate must let a real improvement through
# Environment: PNEUMONIA_LOAD_IMAGES (chest_xray root), LOAD_NO_DOCS=1 (print only).
set -euo pipefail
LOAD_WARMUP=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCENARIOS="${LOOP_SCENARIOS:-startup unchanged tiny swapped improving}"
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"

install_tools
build_api
echo "== dotnet build -c Release grains/Pneumonia.Cli"
dotnet build -c Release "$REPO/grains/Pneumonia.Cli" -v q -nologo >"$WORK/cli-build.log" 2>&1 || { cat "$WORK/cli-build.log"; exit 1; }
CLI_DLL="$(ls "$REPO"/grains/Pneumonia.Cli/bin/Release/net*/*/pneumonia.dll "$REPO"/grains/Pneumonia.Cli/bin/Release/net*/pneumonia.dll 2>/dev/null | head -1 || true)"
[[ -f "$CLI_DLL" ]] || CLI_DLL="$(ls "$REPO"/grains/Pneumonia.Cli/bin/Release/net*/*/Pneumonia.Cli.dll "$REPO"/grains/Pneumonia.Cli/bin/Release/net*/Pneumonia.Cli.dll 2>/dev/null | head -1)"
echo "== importing the official test split for evaluation (the CLI's own data directory)"
dotnet "$CLI_DLL" import "$PNEUMONIA_LOAD_IMAGES" --data "$WORK/eval" >"$WORK/eval-import.log" 2>&1

# test_metrics DATA_DIR VERSION: production's metrics on the official test split, as JSON {auc, accuracy, sensitivity, specificity, ece}
test_metrics() {
  local dir
  dir="$(ls -d "$1"/models/*"$2"* 2>/dev/null | head -1)"
  [[ -n "$dir" ]] || { [[ -f "$WORK/weak-model/model.json" && "$(jq -r .version "$WORK/weak-model/model.json")" == "$2" ]] && dir="$WORK/weak-model"; }
  [[ -n "$dir" ]] || dir="$(dirname "$API_DLL")/models/bundled"
  dotnet "$CLI_DLL" evaluate --model "$dir" --data "$WORK/eval" --json |
    jq -c '{auc: .rocAuc, accuracy: .accuracy, sensitivity: .recall, specificity: .specificity, ece: .expectedCalibrationError}'
}
production() { curl -fsS "$HOST/models" | jq -r .production; }
wait_job() {  # wait_job JOB_ID: the finished job's JSON on stdout
  while :; do
    curl -fsS "$HOST/jobs/$1" >"$WORK/job.json"
    [[ "$(jq -r .running "$WORK/job.json")" == false ]] && break
    sleep 5
  done
  cat "$WORK/job.json"
}
wait_imported() {
  for _ in $(seq 1 300); do
    [[ "$(curl -fsS "$HOST/dataset/stats" | jq -r '.base_data.state // "none"')" == imported ]] && return 0
    sleep 1
  done
  echo "the base data set was not imported in 300 s" >&2; exit 1
}
# record NAME ANSWER JOB_JSON BEFORE_VERSION: one result line
record() {
  local name=$1 answer=$2 job=$3 before=$4 after before_metrics after_metrics
  after="$(production)"
  before_metrics="$(test_metrics "$WORK/$name" "$before")"
  after_metrics="$(test_metrics "$WORK/$name" "$after")"
  jq -cn --arg name "$name" --arg answer "$answer" --argjson job "$job" --arg before "$before" --arg after "$after" \
    --argjson b "$before_metrics" --argjson a "$after_metrics" \
    '{scenario: $name, answer: $answer, job: $job, before: $before, after: $after, before_metrics: $b, after_metrics: $a}' >>"$RESULTS"
  echo "   $name: $answer; production $before -> $after"
}
retrain() {  # retrain EPOCHS: POST /retrain; prints "CODE BODY"
  curl -s -o "$WORK/started.json" -w '%{http_code}' -X POST "$HOST/retrain?epochs=$1&batch_size=32&fine_tune=true"
}

for scenario in $SCENARIOS; do
  case "$scenario" in
  startup)
    start_api startup --Pneumonia:Data:BaseDatasetPath="$PNEUMONIA_LOAD_IMAGES"
    before="$(production)"
    code="$(retrain 5)"; first="$code $(jq -r '.title // .status' "$WORK/started.json")"
    refusals=0
    while [[ "$code" == 503 ]]; do refusals=$((refusals + 1)); sleep 2; code="$(retrain 5)"; done
    [[ "$code" == 202 ]] || { echo "POST /retrain answered $code"; cat "$WORK/started.json"; exit 1; }
    job="$(wait_job "$(jq -r .job_id "$WORK/started.json")")"
    record startup "first answer $first; $refusals more 503s while importing, then 202" "$job" "$before"
    stop_api ;;
  unchanged)
    start_api unchanged --Pneumonia:Data:BaseDatasetPath="$PNEUMONIA_LOAD_IMAGES"
    wait_imported
    before="$(production)"
    code="$(retrain 5)"; [[ "$code" == 202 ]] || { echo "POST /retrain answered $code"; cat "$WORK/started.json"; exit 1; }
    job="$(wait_job "$(jq -r .job_id "$WORK/started.json")")"
    record unchanged "202" "$job" "$before"
    stop_api ;;
  tiny)
    start_api tiny --Pneumonia:Data:BaseDatasetPath=
    before="$(production)"
    args=()
    for f in $(ls "$PNEUMONIA_LOAD_IMAGES"/train/NORMAL | head -20); do args+=(-F "files=@$PNEUMONIA_LOAD_IMAGES/train/NORMAL/$f"); done
    curl -fsS "${args[@]}" -F label=NORMAL "$HOST/upload" >/dev/null
    args=()
    for f in $(ls "$PNEUMONIA_LOAD_IMAGES"/train/PNEUMONIA | head -20); do args+=(-F "files=@$PNEUMONIA_LOAD_IMAGES/train/PNEUMONIA/$f"); done
    curl -fsS "${args[@]}" -F label=PNEUMONIA "$HOST/upload" >/dev/null
    code="$(retrain 3)"
    job="$(jq -c '{status: "not started", promoted: false, gate: null, error: .detail}' "$WORK/started.json")"
    [[ "$code" == 202 ]] && job="$(wait_job "$(jq -r .job_id "$WORK/started.json")")"
    record tiny "$code $(jq -r '.title // .status' "$WORK/started.json")" "$job" "$before"
    stop_api ;;
  swapped)
    # 300 + 300 training films as new files (re-encoded, so not duplicates of the base data set), folders swapped.
    mkdir -p "$WORK/swapped/NORMAL" "$WORK/swapped/PNEUMONIA"
    "$PY" - "$PNEUMONIA_LOAD_IMAGES/train" "$WORK/swapped" <<'PY'
import os, sys
from PIL import Image
src, out = sys.argv[1:3]
for label, wrong in (("NORMAL", "PNEUMONIA"), ("PNEUMONIA", "NORMAL")):
    for name in sorted(os.listdir(os.path.join(src, label)))[-300:]:
        Image.open(os.path.join(src, label, name)).save(os.path.join(out, wrong, "v-" + name), quality=92)
PY
    (cd "$WORK" && zip -qr swapped.zip swapped)
    start_api swapped --Pneumonia:Data:BaseDatasetPath="$PNEUMONIA_LOAD_IMAGES"
    wait_imported
    before="$(production)"
    curl -fsS -F "files=@$WORK/swapped.zip" "$HOST/upload" >"$WORK/swapped-upload.json"
    upload="$(jq -r '"upload: \(.accepted) accepted, \(.label_screen.disputed) of \(.label_screen.checked) labels disputed, \(.training_use)"' "$WORK/swapped-upload.json")"
    code="$(retrain 5)"; [[ "$code" == 202 ]] || { echo "POST /retrain answered $code"; cat "$WORK/started.json"; exit 1; }
    job="$(wait_job "$(jq -r .job_id "$WORK/started.json")")"
    record swapped "$upload; retrain 202" "$job" "$before"
    stop_api ;;
  improving)
    # The weaker production model: the bundled model's recipe (from its card) cut down to its head, one epoch, trained
    # offline by the CLI with the gate set held out, as the bundled model was.
    echo "== training the weaker production model (head only, 1 epoch)"
    dotnet "$CLI_DLL" train --data "$WORK/eval" --output "$WORK/weak-model" --epochs 1 --fine-tune false --cache-frozen-features true \
      --augmentation "$(jq -r 'if .training.augmentation.maxNoiseSigma > 0 then "robust" else "standard" end' "$(dirname "$API_DLL")/models/bundled/model.json")" \
      --perturbed-validation "$(jq -r '.training.perturbedValidation // false' "$(dirname "$API_DLL")/models/bundled/model.json")" \
      >"$WORK/weak-train.log" 2>&1 || { tail -20 "$WORK/weak-train.log"; exit 1; }
    start_api improving --Pneumonia:Data:BaseDatasetPath="$PNEUMONIA_LOAD_IMAGES" --Pneumonia:Data:BundledModelDirectory="$WORK/weak-model"
    wait_imported
    before="$(production)"
    code="$(retrain 5)"; [[ "$code" == 202 ]] || { echo "POST /retrain answered $code"; cat "$WORK/started.json"; exit 1; }
    job="$(wait_job "$(jq -r .job_id "$WORK/started.json")")"
    record improving "202 (production: a head-only 1-epoch model)" "$job" "$before"
    stop_api ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
done

"$PY" "$LOAD/report.py" learning-loop --results "$RESULTS" ${LOAD_NO_DOCS:+--no-docs} --docs "$REPO/docs/BENCHMARKS.md"
