#!/usr/bin/env bash
# Failure drill of docs/DEPLOY.md, on one machine: Redis + 3 silos (1 trainer without a gateway, 2 predictors) + an
# API front end as Orleans client, all on loopback with free ports and a temporary shared data directory.
#   1. state: upload 40 images through the front end and retrain once (a job, a model version, an upload batch);
#   2. Locust (PredictSmallUser, FAILOVER_USERS users) against the front end; after FAILOVER_PROMOTE_AT seconds force
#      the previous version back into production (a rollout under load: when does every answer carry it?); after
#      FAILOVER_KILL_AT seconds kill -9 one predictor silo; record every request, when the survivors' dashboard
#      shows 2 silos, and compare the state before and after;
#   3. a long retrain; kill -9 the trainer mid-job; restart it; time until the job is reported failed; retrain again;
#   4. restart predictor-b (time to its first request from the running front end), restart Redis (state kept?),
#      SIGTERM each silo (stop time).
# Images and model versions are in Azurite (Azure Blob Storage emulator), each process with its own data directory as
# cache, so nothing is shared on disk (FAILOVER_STORE=directory: one shared data directory instead); a second front
# end checks it sees what the first one did.
# Prints the figures and writes them between <!-- begin:failover --> and <!-- end:failover --> in docs/DEPLOY.md
# (FAILOVER_NO_DOCS=1: print only).
#   load/cluster-failover.sh        # ~3-4 minutes on 2 cores once built
# Environment (optional): FAILOVER_USERS (32), FAILOVER_DURATION (60, seconds of load), FAILOVER_PROMOTE_AT (8),
#   FAILOVER_KILL_AT (20),
#   PNEUMONIA_LOAD_IMAGES (chest_xray root), FAILOVER_PROBE_TIMEOUT (00:00:02), FAILOVER_MISSED_PROBES (2),
#   FAILOVER_CALL_TIMEOUT (the front end's Pneumonia:Api:GrainCallTimeout, default 00:00:30), FAILOVER_STORE (azure).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOAD="$REPO/load"
if [[ -z "${PNEUMONIA_LOAD_IMAGES:-}" ]]; then
  for d in "$REPO/../shared/data/chest_xray" "$REPO/../../shared/data/chest_xray"; do
    if [[ -d "$d" ]]; then PNEUMONIA_LOAD_IMAGES="$(cd "$d" && pwd)"; break; fi
  done
fi
export PNEUMONIA_LOAD_IMAGES="${PNEUMONIA_LOAD_IMAGES:-$REPO/../shared/data/chest_xray}"
USERS="${FAILOVER_USERS:-32}"
DURATION="${FAILOVER_DURATION:-60}"
KILL_AT="${FAILOVER_KILL_AT:-20}"
PROMOTE_AT="${FAILOVER_PROMOTE_AT:-8}"
PROBE_TIMEOUT="${FAILOVER_PROBE_TIMEOUT:-00:00:02}"
MISSED_PROBES="${FAILOVER_MISSED_PROBES:-2}"
CALL_TIMEOUT="${FAILOVER_CALL_TIMEOUT:-00:00:30}"
PY=/usr/bin/python3   # Debian's Python: the one python3-locust and python3-pil install into
IMG="$PNEUMONIA_LOAD_IMAGES/test/PNEUMONIA/person1_virus_6.jpeg"
[[ -f "$IMG" ]] || { echo "no test image at $IMG (set PNEUMONIA_LOAD_IMAGES)" >&2; exit 1; }

# --- tools (idempotent) ---------------------------------------------------------------------------------------
need=()
command -v locust >/dev/null || need+=(python3-locust)
command -v redis-server >/dev/null || need+=(redis-server)
STORE="${FAILOVER_STORE:-azure}"
if [[ "$STORE" == azure ]] && ! command -v azurite-blob >/dev/null; then
  echo "== npm install -g azurite"; npm install -g azurite --silent --no-fund --no-audit >/dev/null 2>&1
fi
"$PY" -c 'import PIL' 2>/dev/null || need+=(python3-pil)
if ((${#need[@]})); then
  echo "== apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

WORK="$(mktemp -d -t pneumonia-failover.XXXXXX)"
declare -A PIDS=()
cleanup() {
  for name in "${!PIDS[@]}"; do kill "${PIDS[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${FAILOVER_KEEP:-}" ]] && echo "logs kept in $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

echo "== dotnet build -c Release (silo host, API)"
for p in silo/Pneumonia.Silo.Host api/Pneumonia.Api; do
  dotnet build -c Release "$REPO/$p" -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
done
SILO_BIN="$(dirname "$(ls "$REPO"/silo/Pneumonia.Silo.Host/bin/Release/net*/*/pneumonia-silo.dll | head -1)")"
API_BIN="$(dirname "$(ls "$REPO"/api/Pneumonia.Api/bin/Release/net*/*/Pneumonia.Api.dll | head -1)")"

read -r REDIS_PORT T_SILO T_HTTP A_SILO A_GW A_HTTP B_SILO B_GW B_HTTP API_PORT API2_PORT AZ_PORT < <("$PY" - <<'PY'
import socket
socks = [socket.socket() for _ in range(12)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()
PY
)
REDIS="127.0.0.1:$REDIS_PORT"
HOST="http://127.0.0.1:$API_PORT"
HOST2="http://127.0.0.1:$API2_PORT"
DASHBOARD="http://127.0.0.1:$A_HTTP/dashboard"
mkdir -p "$WORK/data"

# With its append-only file, as DEPLOY says: the silos refuse a Redis that would lose the cluster's state on a restart.
start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --appendfsync everysec --dir "$WORK" >>"$WORK/redis.log" 2>&1 &
  PIDS[redis]=$!
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis did not start"; tail -20 "$WORK/redis.log"; exit 1
}
start_redis

# Where each process keeps images and models: its own cache over Azurite's container, or the one shared directory.
STORE_ARGS=()
if [[ "$STORE" == azure ]]; then
  (cd "$WORK" && exec azurite-blob --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --inMemoryPersistence --silent --loose --skipApiVersionCheck >"$WORK/azurite.log" 2>&1) &
  PIDS[azurite]=$!
  # Azurite's documented development account key (public, fixed).
  AZ="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$AZ_PORT/devstoreaccount1;"
  STORE_ARGS=(--Pneumonia:Data:Store=AzureBlob "--Pneumonia:Data:AzureBlobConnectionString=$AZ")
fi
data_of() { [[ "$STORE" == azure ]] && echo "$WORK/$1-data" || echo "$WORK/data"; }

start_silo() {  # name silo-port gateway-port http-port roles [extra args...]
  local name=$1 silo=$2 gateway=$3 http=$4 roles=$5; shift 5
  (cd "$SILO_BIN" && exec dotnet pneumonia-silo.dll --urls "http://127.0.0.1:$http" \
     --Pneumonia:Silo:Clustering=Redis --Pneumonia:Silo:Persistence=Redis --Pneumonia:Silo:Redis="$REDIS" \
     --Pneumonia:Silo:SiloPort="$silo" --Pneumonia:Silo:GatewayPort="$gateway" --Pneumonia:Silo:Roles="$roles" \
     --Pneumonia:Silo:ProbeTimeout="$PROBE_TIMEOUT" --Pneumonia:Silo:MissedProbesLimit="$MISSED_PROBES" \
     --Pneumonia:Silo:DataDirectory="$WORK/$name-state" --Pneumonia:Data:DataDirectory="$(data_of "$name")" \
     "${STORE_ARGS[@]}" "${SMALL_DATA[@]}" --Pneumonia:Data:BaseDatasetPath= "$@" >>"$WORK/$name.log" 2>&1) &
  PIDS[$name]=$!
  for _ in $(seq 1 90); do
    curl -fsS -o /dev/null "http://127.0.0.1:$http/dashboard/" 2>/dev/null && return 0
    kill -0 "${PIDS[$name]}" 2>/dev/null || { echo "silo $name exited:"; tail -30 "$WORK/$name.log"; exit 1; }
    sleep 1
  done
  echo "silo $name did not start in 90 s"; tail -30 "$WORK/$name.log"; exit 1
}

# The drill's data set is its 40 uploaded images (no base data set, so that no silo spends minutes importing): every
# process accepts a retrain on them, which the default minimum (100 per class, the learning loop's guard) refuses.
SMALL_DATA=(--Pneumonia:Retrain:MinimumTrainingImagesPerClass=10)
# The trainer runs retrains without cached frozen features so that a 30-epoch job lasts long enough to be killed.
TRAINER_ARGS=(--Pneumonia:Retrain:CacheFrozenFeatures=false)
echo "== starting redis ($REDIS), trainer, predictor-a, predictor-b, front end ($HOST)"
start_silo trainer "$T_SILO" 0 "$T_HTTP" trainer "${TRAINER_ARGS[@]}"
start_silo predictor-a "$A_SILO" "$A_GW" "$A_HTTP" predictor
start_silo predictor-b "$B_SILO" "$B_GW" "$B_HTTP" predictor
start_front_end() {  # name url
  (cd "$API_BIN" && exec dotnet Pneumonia.Api.dll --urls "$2" --Pneumonia:Api:Mode=Client \
     --Pneumonia:Api:Clustering=Redis --Pneumonia:Api:Redis="$REDIS" --Pneumonia:Data:DataDirectory="$(data_of "$1")" \
     "${STORE_ARGS[@]}" "${SMALL_DATA[@]}" --Pneumonia:Api:GrainCallTimeout="$CALL_TIMEOUT" \
     >"$WORK/$1.log" 2>&1) &
  PIDS[$1]=$!
  for _ in $(seq 1 60); do curl -fsS -o /dev/null "$2/health" 2>/dev/null && break; sleep 1; done
  curl -fsS -o /dev/null "$2/health" || { echo "front end $1 not healthy"; tail -30 "$WORK/$1.log"; exit 1; }
}
start_front_end api "$HOST"
start_front_end api2 "$HOST2"

active_silos() { curl -fsS --max-time 2 "$DASHBOARD/DashboardCounters" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["totalActiveHostCount"])' 2>/dev/null || echo "?"; }
for _ in $(seq 1 30); do [[ "$(active_silos)" == 3 ]] && break; sleep 1; done
SILOS_BEFORE="$(active_silos)"
echo "   the dashboard ($DASHBOARD/) shows $SILOS_BEFORE active silos"

# --- 1. state to keep: an upload batch, a retrain, a new version ---------------------------------------------
api() { curl -fsS --max-time 30 "$@"; }
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
"$PY" - "$PNEUMONIA_LOAD_IMAGES" "$WORK/upload.zip" <<'PY'
import os, sys, zipfile
root, out = sys.argv[1:3]
with zipfile.ZipFile(out, "w") as z:
    for label in ("NORMAL", "PNEUMONIA"):
        folder = os.path.join(root, "train", label)
        for name in sorted(os.listdir(folder))[100:120]:
            z.write(os.path.join(folder, name), f"set/{label}/{name}")
PY
ACCEPTED="$(api -F "files=@$WORK/upload.zip" "$HOST/upload" | json 'd["accepted"]')"
wait_job() {  # job-id timeout-seconds -> final job JSON on stdout
  local id=$1 limit=$2 body
  for _ in $(seq 1 $((limit * 2))); do
    body="$(curl -fsS --max-time 5 "$HOST/jobs/$id" 2>/dev/null || true)"
    if [[ -n "$body" ]] && [[ "$(echo "$body" | json 'd["running"]')" == "False" ]]; then echo "$body"; return 0; fi
    sleep 0.5
  done
  echo "job $id still running after $limit s" >&2; return 1
}
JOB1="$(api -X POST "$HOST/retrain?epochs=1&batch_size=16&fine_tune=true" | json 'd["job_id"]')"
JOB1_STATUS="$(wait_job "$JOB1" 300 | json 'd["status"]')"
TARGET="$(api "$HOST/models" | json '[m["version"] for m in d["models"] if m["version"] != d["production"]][0]')"
snapshot() {
  echo "dataset_images=$(api "$HOST/dataset/stats" | json 'd["total_images"]')"
  echo "batches=$(api "$HOST/dataset/stats" | json 'len(d["batches"])')"
  api "$HOST/models" | json '"models=" + str(d["count"]) + "\nproduction=" + str(d["production"])'
  api "$HOST/jobs" | json '"jobs=" + ",".join(j["job_id"] + ":" + j["status"] for j in d["jobs"])'
}
echo "   uploaded $ACCEPTED images, retrain $JOB1 $JOB1_STATUS"

# --- 2. kill -9 a predictor under load ---------------------------------------------------------------------------
for _ in 1 2 3 4 5 6; do curl -fsS -o /dev/null -F "file=@$IMG;type=image/jpeg" "$HOST/predict"; done
echo "== locust -u $USERS -t ${DURATION}s PredictSmallUser; force $TARGET into production at ${PROMOTE_AT}s; kill -9 predictor-b at ${KILL_AT}s"
FAILOVER_REQUEST_LOG="$WORK/requests.csv" PYTHONPATH="$LOAD" PNEUMONIA_LOAD_IMAGE="$IMG" \
  locust -f "$LOAD/failover_locustfile.py" --headless -u "$USERS" -r "$USERS" -t "${DURATION}s" --host "$HOST" \
  --only-summary --stop-timeout 5 PredictSmallUser >"$WORK/locust.log" 2>&1 &
LOCUST=$!
sleep "$PROMOTE_AT"
PROMOTED_AT="$(date +%s.%N)"
api -X POST "$HOST/select-model?model_name=$TARGET&force=true&reason=failover-drill" >/dev/null
sleep "$(( KILL_AT - PROMOTE_AT ))"
snapshot >"$WORK/state-before.txt"
# Which silos served the predictions so far (the dashboard's per-silo grain statistics): the killed one must be one.
PER_SILO="$(curl -fsS --max-time 5 "$DASHBOARD/DashboardCounters" | "$PY" -c '
import json, sys
ports = dict(a="'"$A_SILO"'", b="'"$B_SILO"'", t="'"$T_SILO"'")
names = {v: k for k, v in ports.items()}
calls = {}
for s in json.load(sys.stdin)["simpleGrainStats"]:
    if s["grainType"].endswith("PredictionGrain"):
        silo = {"a": "predictor-a", "b": "predictor-b", "t": "trainer", "?": "other"}[names.get(s["siloAddress"].split("@")[0].split(":")[-1], "?")]
        calls[silo] = calls.get(silo, 0) + s["totalCalls"]
print(", ".join(f"{k} {v}" for k, v in sorted(calls.items())) or "none")' || echo unknown)"
KILLED_AT="$(date +%s.%N)"
kill -9 "${PIDS[predictor-b]}"; unset 'PIDS[predictor-b]'
DEAD_AT=""
for _ in $(seq 1 600); do
  if [[ "$(active_silos)" == 2 ]]; then DEAD_AT="$(date +%s.%N)"; break; fi
  sleep 0.1
done
wait "$LOCUST" || true
SILOS_AFTER="$(active_silos)"
snapshot >"$WORK/state-after.txt"
AFTER_UPLOAD="$(api -F "files=@$IMG" -F label=PNEUMONIA "$HOST/upload" | json 'd["accepted"] + d["duplicates"]')"
if diff -q "$WORK/state-before.txt" "$WORK/state-after.txt" >/dev/null; then STATE_KEPT=yes; else STATE_KEPT=no; fi

# --- 2b. restart predictor-b: the running front end sends it predictions again ----------------------------------
# Predictor-b's own count of forward passes (its /metrics/prometheus): the dashboard's per-silo statistics lag, and
# did not show a restarted silo's calls at all in one run.
b_served() { curl -fsS --max-time 2 "http://127.0.0.1:$B_HTTP/metrics/prometheus" 2>/dev/null | "$PY" -c '
import sys
# "name{labels} value [timestamp]": the value is the first field after the labels
print(int(sum(float(l.rsplit("}", 1)[-1].split()[0]) for l in sys.stdin if l.startswith("pneumonia_inference_batch_size_count{"))))' 2>/dev/null || echo 0; }
start_silo predictor-b "$B_SILO" "$B_GW" "$B_HTTP" predictor
REJOINED_AT="$(date +%s.%N)"
SERVED_AT=""
# One user's predictions, for at most 60 s after predictor-b answers its health probe.
while [[ "$(echo "$(date +%s.%N) - $REJOINED_AT < 60" | bc)" == 1 ]]; do
  curl -fsS -o /dev/null -F "file=@$IMG;type=image/jpeg" "$HOST/predict" || true
  if [[ "$(b_served)" -gt 0 ]]; then SERVED_AT="$(date +%s.%N)"; break; fi
done
REJOIN="$([[ -n "$SERVED_AT" ]] && printf '%.1f s' "$(echo "$SERVED_AT - $REJOINED_AT" | bc)" || echo "none within 60 s")"
# Its share then: of the next 40 single predictions, how many predictor-b ran (two predictors: about half is fair).
SHARE="-"
if [[ -n "$SERVED_AT" ]]; then
  first="$(b_served)"
  for _ in $(seq 1 40); do curl -fsS -o /dev/null -F "file=@$IMG;type=image/jpeg" "$HOST/predict" || true; done
  SHARE="$(( $(b_served) - first )) of 40"
fi

# --- 3. kill -9 the trainer mid-job, restart it -------------------------------------------------------------------
echo "== long retrain; kill -9 the trainer while it trains; restart it"
JOB2="$(api -X POST "$HOST/retrain?epochs=30&batch_size=8&fine_tune=true" | json 'd["job_id"]')"
for _ in $(seq 1 240); do
  [[ "$(curl -fsS "$HOST/jobs/$JOB2" | json 'd["phase"]')" == "training" ]] && break; sleep 0.5
done
JOB2_PROGRESS="$(api "$HOST/jobs/$JOB2" | json 'd["progress"]')"
kill -9 "${PIDS[trainer]}"; unset 'PIDS[trainer]'
TRAINER_KILLED_AT="$(date +%s.%N)"
sleep 2
NO_TRAINER_STATUS="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$HOST/jobs/$JOB2")"
RESTART_AT="$(date +%s.%N)"
start_silo trainer "$T_SILO" 0 "$T_HTTP" trainer "${TRAINER_ARGS[@]}"
TRAINER_UP_AT="$(date +%s.%N)"
JOB2_FINAL="$(wait_job "$JOB2" 120)"
JOB2_FAILED_AT="$(date +%s.%N)"
JOB2_STATUS="$(echo "$JOB2_FINAL" | json 'd["status"]')"
JOB2_ERROR="$(echo "$JOB2_FINAL" | json 'd.get("error")')"
JOB3="$(api -X POST "$HOST/retrain?epochs=1&batch_size=16&fine_tune=true" | json 'd["job_id"]')"
JOB3_STATUS="$(wait_job "$JOB3" 300 | json 'd["status"]')"

# --- 3b. SIGTERM each silo: how long a graceful stop takes (Pneumonia:Silo:ShutdownTimeout bounds it) -------------
stop_time() {  # name -> seconds from SIGTERM to exit
  local pid=${PIDS[$1]} start; start="$(date +%s.%N)"
  kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; unset "PIDS[$1]"
  printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)"
}
# --- 3c. restart Redis (its append-only file is all the cluster's state): nothing may be lost ----------------------
snapshot >"$WORK/state-before-redis.txt"
SECOND_FRONT_END="$(curl -fsS "$HOST2/models" | json 'd["production"]')"
redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
wait "${PIDS[redis]}" 2>/dev/null || true
start_redis
for _ in $(seq 1 60); do curl -fsS -o /dev/null --max-time 5 "$HOST/models" 2>/dev/null && break; sleep 1; done
snapshot >"$WORK/state-after-redis.txt" || true
if diff -q "$WORK/state-before-redis.txt" "$WORK/state-after-redis.txt" >/dev/null; then REDIS_KEPT=yes; else REDIS_KEPT=no; fi
STOP_B="$(stop_time predictor-b)"; STOP_T="$(stop_time trainer)"; STOP_A="$(stop_time predictor-a)"

# --- 4. figures ---------------------------------------------------------------------------------------------------
CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
"$PY" - "$WORK/requests.csv" <<PY | tee "$WORK/report.md"
import csv, sys
killed, dead, promoted = float("$KILLED_AT"), float("${DEAD_AT:-0}" or 0), float("$PROMOTED_AT")
rows = [(float(t), ok == "1", int(s), float(ms), v) for t, ok, s, ms, v in csv.reader(open(sys.argv[1]))]
during = [r for r in rows if promoted <= r[0] < killed]
old = [r for r in during if r[1] and r[4] != "$TARGET"]
rollout = f"{old[-1][0] - promoted:.1f} s" if old else "0 s"
rollout_failed = sum(1 for r in during if not r[1])
failed = [r for r in rows if not r[1]]
before = [r for r in rows if r[0] < killed]
after = [r for r in rows if r[0] >= killed]
statuses = sorted({r[2] for r in failed})
window = f"{failed[0][0] - killed:+.1f} s to {failed[-1][0] - killed:+.1f} s after the kill" if failed else "none"
slowest = max((r[3] for r in after), default=0)
detect = f"{dead - killed:.1f} s" if dead else "not within 60 s"
print(f"""Measured by \`load/cluster-failover.sh\` on $(nproc) cores ($CPU), .NET $(dotnet --version); membership
ProbeTimeout $PROBE_TIMEOUT, MissedProbesLimit $MISSED_PROBES; front end GrainCallTimeout $CALL_TIMEOUT; Locust $USERS users (PredictSmallUser, no think time)
for ${DURATION} s against one front end, predictor-b killed with \`kill -9\` at ${KILL_AT} s. Load generator, 3 silos,
the front end and Redis share the machine.

| figure | value |
| --- | --- |
| forced promotion under load: last answer from the previous version | {rollout} after the promotion was requested ({len(during)} requests in the {killed - promoted:.0f} s after it, {rollout_failed} failed) |
| silos on the dashboard before / after | $SILOS_BEFORE / $SILOS_AFTER |
| prediction calls per silo before the kill (dashboard) | $PER_SILO |
| kill -9 to the survivors' dashboard showing 2 silos | {detect} |
| requests (before / after the kill) | {len(rows)} ({len(before)} / {len(after)}) |
| failed requests | {len(failed)} (HTTP {', '.join(map(str, statuses)) or '-'}) |
| failures' time window | {window} |
| slowest request after the kill | {slowest / 1000:.1f} s |
| upload batches, model versions, production, jobs unchanged by the kill | $STATE_KEPT |
| upload through the front end after the kill (images accepted or known) | $AFTER_UPLOAD |
| trainer killed mid-job (at {float("$JOB2_PROGRESS"):.0f} %): job status while no trainer runs | HTTP $NO_TRAINER_STATUS |
| trainer restarted -> job reported | $JOB2_STATUS {float("$JOB2_FAILED_AT") - float("$RESTART_AT"):.1f} s after the restart began ({float("$TRAINER_UP_AT") - float("$RESTART_AT"):.1f} s to start): "$JOB2_ERROR" |
| next retrain on the restarted trainer | $JOB3_STATUS |
| predictor-b restarted -> its first prediction from the running front end (one user) | $REJOIN |
| predictor-b's share of the next 40 predictions | $SHARE |
| SIGTERM to exit: predictor-b / trainer / predictor-a | $STOP_B / $STOP_T / $STOP_A s |
| Redis restarted (append-only file): upload batches, model versions, production, jobs unchanged | $REDIS_KEPT |
| second front end's production version = the first's | $([[ "$SECOND_FRONT_END" == "$(grep '^production=' "$WORK/state-before-redis.txt" | cut -d= -f2)" ]] && echo yes || echo "no ($SECOND_FRONT_END)") |
| images and models | $([[ "$STORE" == azure ]] && echo "Azure Blob Storage (Azurite), a cache directory per process" || echo "one shared directory") |
""")
PY

if [[ -z "${FAILOVER_NO_DOCS:-}" ]]; then
  "$PY" - "$REPO/docs/DEPLOY.md" "$WORK/report.md" <<'PY'
import sys
doc, report = sys.argv[1:3]
text = open(doc).read()
begin, end = "<!-- begin:failover -->", "<!-- end:failover -->"
block = f"{begin}\n{open(report).read().strip()}\n{end}"
if begin in text and end in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n" + block + "\n"
open(doc, "w").write(text)
PY
  echo "== written to docs/DEPLOY.md"
fi
