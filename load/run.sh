#!/usr/bin/env bash
# One command: load-test POST /predict of the PneumoniaOrleans API and write the
# <!-- begin:load-predict --> section of docs/BENCHMARKS.md.
#   load/run.sh                      # from anywhere; ~4-5 minutes on 2 cores
# Environment (all optional):
#   PNEUMONIA_LOAD_IMAGES   chest_xray root (default: shared/data/chest_xray beside the repository or its parent)
#   LOAD_USERS              Locust user counts for the 224 JPEG scenario (default "1 8 32 64")
#   LOAD_DURATION           each Locust run (default 20s)
#   LOAD_EXTRA_DURATION     each run of the large / batch / mixed scenarios (default 10s; 0 skips them)
#   HEY_CONCURRENCY, HEY_DURATION   the hey peak-throughput run (default 16, 20s)
#   LOAD_NO_DOCS=1          print the table but leave docs/BENCHMARKS.md alone
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOAD="$REPO/load"
# Default data: shared/data/chest_xray beside the repository, or beside its parent (git worktrees under wt/).
if [[ -z "${PNEUMONIA_LOAD_IMAGES:-}" ]]; then
  for d in "$REPO/../shared/data/chest_xray" "$REPO/../../shared/data/chest_xray"; do
    if [[ -d "$d" ]]; then PNEUMONIA_LOAD_IMAGES="$(cd "$d" && pwd)"; break; fi
  done
fi
export PNEUMONIA_LOAD_IMAGES="${PNEUMONIA_LOAD_IMAGES:-$REPO/../shared/data/chest_xray}"
export PNEUMONIA_LOAD_IMAGE="${PNEUMONIA_LOAD_IMAGE:-$PNEUMONIA_LOAD_IMAGES/test/PNEUMONIA/person1_virus_6.jpeg}"
USERS="${LOAD_USERS:-1 8 32 64}"
DURATION="${LOAD_DURATION:-20s}"
EXTRA_DURATION="${LOAD_EXTRA_DURATION:-10s}"
HEY_C="${HEY_CONCURRENCY:-16}"
HEY_Z="${HEY_DURATION:-20s}"
PY=/usr/bin/python3   # Debian's Python: the one python3-locust and python3-pil install into

[[ -f "$PNEUMONIA_LOAD_IMAGE" ]] || { echo "no test image at $PNEUMONIA_LOAD_IMAGE (set PNEUMONIA_LOAD_IMAGES)" >&2; exit 1; }

# --- 1. tools (idempotent) ---------------------------------------------------------------------------------
need=()
command -v locust >/dev/null || need+=(python3-locust)
command -v hey >/dev/null || need+=(hey)
command -v wrk >/dev/null || need+=(wrk)
"$PY" -c 'import PIL' 2>/dev/null || need+=(python3-pil)
if ((${#need[@]})); then
  echo "== apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- 2. build and start the API (Release, bundled model, temporary data directory, free ports) --------------
WORK="$(mktemp -d -t pneumonia-load.XXXXXX)"
API_PID=""
cleanup() {
  if [[ -n "$API_PID" ]] && kill -0 "$API_PID" 2>/dev/null; then kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== dotnet build -c Release api/Pneumonia.Api"
dotnet build -c Release "$REPO/api/Pneumonia.Api" -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
DLL="$(ls "$REPO"/api/Pneumonia.Api/bin/Release/net*/*/Pneumonia.Api.dll "$REPO"/api/Pneumonia.Api/bin/Release/net*/Pneumonia.Api.dll 2>/dev/null | head -1 || true)"
[[ -f "$DLL" ]] || { echo "no Pneumonia.Api.dll under api/Pneumonia.Api/bin/Release" >&2; exit 1; }
BIN="$(dirname "$DLL")"

read -r PORT SILO_PORT GATEWAY_PORT < <("$PY" - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()
PY
)
HOST="http://127.0.0.1:$PORT"
mkdir -p "$WORK/data"
echo "== starting the API on $HOST (silo $SILO_PORT, gateway $GATEWAY_PORT, data $WORK/data)"
# Content root = the output folder (appsettings.json and models/bundled live there).
(cd "$BIN" && exec dotnet "$DLL" --urls "$HOST" \
   --Pneumonia:Data:DataDirectory="$WORK/data" --Pneumonia:Silo:DataDirectory="$WORK/data" \
   --Pneumonia:Data:BaseDatasetPath= \
   --Pneumonia:Silo:SiloPort="$SILO_PORT" --Pneumonia:Silo:GatewayPort="$GATEWAY_PORT" \
   >"$WORK/api.log" 2>&1) &
API_PID=$!
for i in $(seq 1 120); do
  if curl -fsS "$HOST/health" >/dev/null 2>&1; then break; fi
  kill -0 "$API_PID" 2>/dev/null || { echo "the API exited:"; tail -40 "$WORK/api.log"; exit 1; }
  sleep 1
done
curl -fsS "$HOST/health" >/dev/null || { echo "/health not 200 after 120 s"; tail -40 "$WORK/api.log"; exit 1; }
echo "   healthy after ~${i}s"
# Warm-up (JIT, first TorchSharp forward) outside the measured runs.
for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -F "file=@$PNEUMONIA_LOAD_IMAGE;type=image/jpeg" "$HOST/predict"; done

# --- 3. Locust runs ---------------------------------------------------------------------------------------
run_locust() {  # name users duration class
  local name=$1 users=$2 dur=$3 cls=$4
  echo "== locust $cls -u $users -t $dur"
  locust -f "$LOAD/locustfile.py" --headless -u "$users" -r "$users" -t "$dur" --host "$HOST" \
    --csv "$WORK/$name" --only-summary --stop-timeout 5 "$cls" >"$WORK/$name.log" 2>&1 || true
  [[ -f "$WORK/${name}_stats.csv" ]] || { echo "locust produced no CSV:"; tail -20 "$WORK/$name.log"; exit 1; }
}
for u in $USERS; do run_locust "small-u$u" "$u" "$DURATION" PredictSmallUser; done
if [[ "$EXTRA_DURATION" != "0" && "$EXTRA_DURATION" != "0s" ]]; then
  run_locust large-u4 4 "$EXTRA_DURATION" PredictLargeUser
  run_locust batch-u4 4 "$EXTRA_DURATION" PredictBatchUser
  run_locust mixed-u16 16 "$EXTRA_DURATION" MixedUser
fi

# --- 4. hey peak throughput (prebuilt multipart body) -------------------------------------------------------
BOUNDARY="pneumonia-load-boundary-7f3a"
"$PY" - "$PNEUMONIA_LOAD_IMAGE" "$WORK/body.bin" "$BOUNDARY" <<'PY'
import os, sys
img, out, b = sys.argv[1:4]
with open(img, "rb") as f: data = f.read()
head = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{os.path.basename(img)}\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n").encode()
with open(out, "wb") as f: f.write(head + data + f"\r\n--{b}--\r\n".encode())
PY
echo "== hey -z $HEY_Z -c $HEY_C POST /predict"
hey -z "$HEY_Z" -c "$HEY_C" -m POST -T "multipart/form-data; boundary=$BOUNDARY" -D "$WORK/body.bin" \
  "$HOST/predict" >"$WORK/hey.txt" 2>&1 || true

# --- 5. server memory, stop the API ------------------------------------------------------------------------
VMHWM="$(awk '/^VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$API_PID/status" 2>/dev/null || echo "n/a")"
VMRSS="$(awk '/^VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$API_PID/status" 2>/dev/null || echo "n/a")"
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; API_PID=""

# --- 6. table -> stdout and docs/BENCHMARKS.md ---------------------------------------------------------------
CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
"$PY" "$LOAD/report.py" --work "$WORK" --users "$USERS" --duration "$DURATION" --extra-duration "$EXTRA_DURATION" \
  --hey "$WORK/hey.txt" --hey-c "$HEY_C" --hey-z "$HEY_Z" --nproc "$(nproc)" --cpu "$CPU" \
  --mem "$(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)" \
  --vmhwm "$VMHWM" --vmrss "$VMRSS" --image "$(basename "$PNEUMONIA_LOAD_IMAGE")" \
  --dotnet "$(dotnet --version)" \
  ${LOAD_NO_DOCS:+--no-docs} --docs "$REPO/docs/BENCHMARKS.md"
