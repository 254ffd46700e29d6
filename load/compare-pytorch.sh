#!/usr/bin/env bash
# Side by side (issue 17): this system against the service users would write instead, FastAPI + PyTorch 1.13 from
# Debian's packages serving the same network and weights (load/pytorch_service.py), the same rows with `hey`: a 224
# JPEG, a 2000 px JPEG and a 2500 x 2000 16-bit PNG (both made from the test image), at 1 and 32 connections. Each
# server runs alone, warmed up first. Writes the compare-pytorch section of docs/BENCHMARKS.md.
#   load/compare-pytorch.sh          # from anywhere; about 20 minutes on 2 cores with the defaults
# Environment (all optional):
#   PNEUMONIA_LOAD_IMAGES   chest_xray root (default: shared/data/chest_xray beside the repository or its parent)
#   COMPARE_DURATION        each hey row (default 20s)
#   COMPARE_CONNECTIONS     connection counts (default "1 32")
#   COMPARE_IMAGES          rows' images among small, large, png16 (default "small large png16")
#   COMPARE_LAYOUTS         PyTorch service runs, MODE:WORKERSxTHREADS (default "plain:1x2 tuned:1x2 tuned:2x1"):
#                           plain = fp32 eager, tuned = TorchScript trace + freeze, channels-last, bf16 autocast
#   LOAD_WARMUP             hey load at 8 connections after each start, before measuring (default 20s; 0 skips it)
#   LOAD_NO_DOCS=1          print the table but leave docs/BENCHMARKS.md alone
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${COMPARE_DURATION:-20s}"
CONNECTIONS="${COMPARE_CONNECTIONS:-1 32}"
IMAGES="${COMPARE_IMAGES:-small large png16}"
LAYOUTS="${COMPARE_LAYOUTS:-plain:1x2 tuned:1x2 tuned:2x1}"

install_tools
# The comparison service: Debian's PyTorch 1.13, FastAPI, uvicorn and multipart parsing; no PyPI.
"$PY" -c 'import torch, fastapi, uvicorn, multipart' 2>/dev/null || {
  echo "== apt-get install python3-torch python3-fastapi python3-uvicorn python3-multipart"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-fastapi python3-uvicorn python3-multipart >/dev/null
}
build_api

# --- the request bodies: one multipart POST /predict per image -----------------------------------------------------
"$PY" - "$PNEUMONIA_LOAD_IMAGE" "$WORK" "$BOUNDARY" <<'PY'
import io, sys
from PIL import Image
image, work, boundary = sys.argv[1:4]
grey = Image.open(image).convert("L")
large = io.BytesIO()
grey.resize((2000, round(grey.height * 2000 / grey.width)), Image.BICUBIC).save(large, "JPEG", quality=90)
# 16-bit grey: the picture enlarged, then spread over 0-65535 (v * 257), saved as a 16-bit greyscale PNG.
png16 = io.BytesIO()
grey.resize((2500, 2000), Image.BICUBIC).convert("I").point(lambda v: v * 257).save(png16, "PNG")
for name, data, kind in [("small", open(image, "rb").read(), "jpeg"), ("large", large.getvalue(), "jpeg"), ("png16", png16.getvalue(), "png")]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}.{kind}\"\r\n"
            f"Content-Type: image/{kind}\r\n\r\n").encode()
    with open(f"{work}/{name}.body", "wb") as f:
        f.write(head + data + f"\r\n--{boundary}--\r\n".encode())
    print(f"   {name}: {Image.open(io.BytesIO(data)).size} {Image.open(io.BytesIO(data)).mode}, {len(data):,} bytes")
PY

# run_rows SYSTEM: every image at every connection count against $HOST, into $WORK/SYSTEM-IMAGE-cN.txt
run_rows() {
  local system=$1 image c
  for image in $IMAGES; do
    # One request first: a server that refuses the image must not be timed as fast.
    curl -fsS -o /dev/null -X POST -H "Content-Type: multipart/form-data; boundary=$BOUNDARY" --data-binary "@$WORK/$image.body" "$HOST/predict" \
      || { echo "$system refused $image"; exit 1; }
    for c in $CONNECTIONS; do
      echo "== $system: hey -z $DURATION -c $c POST /predict ($image)"
      hey -z "$DURATION" -c "$c" -m POST -T "multipart/form-data; boundary=$BOUNDARY" -D "$WORK/$image.body" \
        "$HOST/predict" >"$WORK/$system-$image-c$c.txt" 2>&1 || true
    done
  done
}

SYSTEMS=(ours)
MEMORY=()

# --- this system: the API with its co-hosted silo, default serving settings ----------------------------------------
start_api ours --Pneumonia:Data:BaseDatasetPath=
run_rows ours
MEMORY+=("ours=$(vm_kb VmHWM)")
stop_api

# --- the PyTorch service, in each layout ----------------------------------------------------------------------------
PT_PID=""
stop_pytorch() {
  if [[ -n "$PT_PID" ]] && kill -0 "$PT_PID" 2>/dev/null; then kill "$PT_PID"; wait "$PT_PID" 2>/dev/null || true; fi
  PT_PID=""
}
trap 'stop_pytorch; cleanup' EXIT

tree_hwm_kb() {  # peak resident memory summed over the service's processes (uvicorn's parent and its workers)
  local total=0 pid kb
  for pid in "$PT_PID" $(pgrep -P "$PT_PID" || true); do
    kb="$(awk '$1 == "VmHWM:" {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

for layout in $LAYOUTS; do
  mode="${layout%%:*}"; shape="${layout#*:}"; workers="${shape%x*}"; threads="${shape#*x}"
  system="pytorch-$mode-$shape"
  read -r port _ _ < <(free_ports)
  HOST="http://127.0.0.1:$port"
  echo "== starting the PyTorch service ($mode, $workers worker(s) x $threads torch thread(s)) on $HOST"
  PNEUMONIA_PT_MODE="$mode" PNEUMONIA_PT_THREADS="$threads" PNEUMONIA_PT_MODEL="$REPO/models/bundled" \
    "$PY" -m uvicorn pytorch_service:app --app-dir "$LOAD" --host 127.0.0.1 --port "$port" --workers "$workers" \
    --no-access-log --log-level warning >"$WORK/$system.log" 2>&1 &
  PT_PID=$!
  for i in $(seq 1 120); do
    curl -fsS "$HOST/health" >/dev/null 2>&1 && break
    kill -0 "$PT_PID" 2>/dev/null || { echo "the PyTorch service exited:"; tail -40 "$WORK/$system.log"; exit 1; }
    sleep 1
  done
  curl -fsS "$HOST/health" || { echo "/health not 200 after 120 s"; tail -40 "$WORK/$system.log"; exit 1; }
  echo
  if [[ "${LOAD_WARMUP:-20s}" != "0" ]]; then
    echo "   warming up: hey -z ${LOAD_WARMUP:-20s} -c 8 POST /predict"
    hey -z "${LOAD_WARMUP:-20s}" -c 8 -m POST -T "multipart/form-data; boundary=$BOUNDARY" -D "$WORK/small.body" \
      "$HOST/predict" >"$WORK/$system-warmup.txt" 2>&1 || true
  fi
  run_rows "$system"
  MEMORY+=("$system=$(tree_hwm_kb)")
  SYSTEMS+=("$system")
  stop_pytorch
done

# --- table -> stdout and docs/BENCHMARKS.md ----------------------------------------------------------------------------
"$PY" "$LOAD/report.py" compare --work "$WORK" --systems "${SYSTEMS[*]}" --images "$IMAGES" --connections "$CONNECTIONS" \
  --duration "$DURATION" --memory "${MEMORY[*]}" --warmup "${LOAD_WARMUP:-20s}" --image "$(basename "$PNEUMONIA_LOAD_IMAGE")" \
  ${LOAD_NO_DOCS:+--no-docs} --docs "$REPO/docs/BENCHMARKS.md"
