# Shared by load/run.sh and load/retrain.sh: tools, data paths, building and starting the API. Source it.
# shellcheck shell=bash

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOAD="$REPO/load"
PY=/usr/bin/python3   # Debian's Python: the one python3-locust and python3-pil install into

# Default data: shared/data/chest_xray beside the repository, or beside its parent (git worktrees under wt/).
if [[ -z "${PNEUMONIA_LOAD_IMAGES:-}" ]]; then
  for d in "$REPO/../shared/data/chest_xray" "$REPO/../../shared/data/chest_xray"; do
    if [[ -d "$d" ]]; then PNEUMONIA_LOAD_IMAGES="$(cd "$d" && pwd)"; break; fi
  done
fi
export PNEUMONIA_LOAD_IMAGES="${PNEUMONIA_LOAD_IMAGES:-$REPO/../shared/data/chest_xray}"
export PNEUMONIA_LOAD_IMAGE="${PNEUMONIA_LOAD_IMAGE:-$PNEUMONIA_LOAD_IMAGES/test/PNEUMONIA/person1_virus_6.jpeg}"
[[ -f "$PNEUMONIA_LOAD_IMAGE" ]] || { echo "no test image at $PNEUMONIA_LOAD_IMAGE (set PNEUMONIA_LOAD_IMAGES)" >&2; exit 1; }

install_tools() {  # idempotent
  local need=()
  command -v locust >/dev/null || need+=(python3-locust)
  command -v hey >/dev/null || need+=(hey)
  command -v wrk >/dev/null || need+=(wrk)
  "$PY" -c 'import PIL' 2>/dev/null || need+=(python3-pil)
  if ((${#need[@]})); then
    echo "== apt-get install ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

WORK="$(mktemp -d -t pneumonia-load.XXXXXX)"
API_PID=""
stop_api() {
  if [[ -n "$API_PID" ]] && kill -0 "$API_PID" 2>/dev/null; then kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; fi
  API_PID=""
}
# A run that fails keeps its working directory: an hour of measurement (job states, memory, timings) is not lost to
# a reporting error.
cleanup() {
  local status=$?
  stop_api
  if (( status == 0 )); then rm -rf "$WORK"; else echo "the run failed (exit $status): its files are kept in $WORK" >&2; fi
}
trap cleanup EXIT

build_api() {
  echo "== dotnet build -c Release api/Pneumonia.Api"
  dotnet build -c Release "$REPO/api/Pneumonia.Api" -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
  API_DLL="$(ls "$REPO"/api/Pneumonia.Api/bin/Release/net*/*/Pneumonia.Api.dll "$REPO"/api/Pneumonia.Api/bin/Release/net*/Pneumonia.Api.dll 2>/dev/null | head -1 || true)"
  [[ -f "$API_DLL" ]] || { echo "no Pneumonia.Api.dll under api/Pneumonia.Api/bin/Release" >&2; exit 1; }
}

free_ports() {  # prints three free loopback ports
  "$PY" - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()
PY
}

# start_api NAME [extra --key=value options...]: a fresh data directory $WORK/NAME, free ports, bundled model;
# sets HOST and API_PID, waits for /health and warms up with 5 predictions.
start_api() {
  local name=$1; shift
  local port silo gateway
  read -r port silo gateway < <(free_ports)
  HOST="http://127.0.0.1:$port"
  mkdir -p "$WORK/$name"
  echo "== starting the API ($name) on $HOST ${*:-}"
  # Content root = the output folder (appsettings.json and models/bundled live there).
  (cd "$(dirname "$API_DLL")" && exec dotnet "$API_DLL" --urls "$HOST" \
     --Pneumonia:Data:DataDirectory="$WORK/$name" --Pneumonia:Silo:DataDirectory="$WORK/$name" \
     --Pneumonia:Silo:SiloPort="$silo" --Pneumonia:Silo:GatewayPort="$gateway" "$@" \
     >"$WORK/$name.log" 2>&1) &
  API_PID=$!
  local i
  for i in $(seq 1 120); do
    if curl -fsS "$HOST/health" >/dev/null 2>&1; then break; fi
    kill -0 "$API_PID" 2>/dev/null || { echo "the API exited:"; tail -40 "$WORK/$name.log"; exit 1; }
    sleep 1
  done
  curl -fsS "$HOST/health" >/dev/null || { echo "/health not 200 after 120 s"; tail -40 "$WORK/$name.log"; exit 1; }
  echo "   healthy after ~${i}s"
  # Warm-up outside the measured runs: the first TorchSharp forward, then ${LOAD_WARMUP:-20s} of concurrent load, for
  # .NET's tiered JIT. Its background recompilation (tier 0 -> instrumented -> tier 1) takes most of a core for the
  # first ten-odd seconds of traffic; measured without this, the 1-user run's forward passes took 14 ms instead of 10.
  for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -F "file=@$PNEUMONIA_LOAD_IMAGE;type=image/jpeg" "$HOST/predict"; done
  if [[ "${LOAD_WARMUP:-20s}" != "0" ]]; then
    echo "   warming up: hey -z ${LOAD_WARMUP:-20s} -c 8 POST /predict"
    hey -z "${LOAD_WARMUP:-20s}" -c 8 -m POST -T "multipart/form-data; boundary=$BOUNDARY" -D "$WORK/body.bin" \
      "$HOST/predict" >"$WORK/$name-warmup.txt" 2>&1 || true
  fi
}

# The multipart body of one POST /predict with $PNEUMONIA_LOAD_IMAGE, for hey.
BOUNDARY="pneumonia-load-boundary-7f3a"
"$PY" - "$PNEUMONIA_LOAD_IMAGE" "$WORK/body.bin" "$BOUNDARY" <<'PY'
import os, sys
img, out, b = sys.argv[1:4]
with open(img, "rb") as f: data = f.read()
head = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{os.path.basename(img)}\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n").encode()
with open(out, "wb") as f: f.write(head + data + f"\r\n--{b}--\r\n".encode())
PY

vm_kb() {  # vm_kb VmHWM|VmRSS: of the running API, in kB
  awk -v k="$1:" '$1 == k {print $2}' "/proc/$API_PID/status" 2>/dev/null || echo 0
}

# run_locust NAME USERS DURATION CLASS [locustfile]: CSVs in $WORK/NAME_*.csv
run_locust() {
  local name=$1 users=$2 dur=$3 cls=$4 file=${5:-$LOAD/locustfile.py}
  echo "== locust $(basename "$file") $cls -u $users -t $dur"
  locust -f "$file" --headless -u "$users" -r "$users" -t "$dur" --host "$HOST" \
    --csv "$WORK/$name" --only-summary --stop-timeout 5 $cls >"$WORK/$name.log" 2>&1 || true
  [[ -f "$WORK/${name}_stats.csv" ]] || { echo "locust produced no CSV:"; tail -20 "$WORK/$name.log"; exit 1; }
}
