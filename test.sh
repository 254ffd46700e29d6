#!/usr/bin/env bash
# The one test command: restores, builds and runs every test project (the README's quick start), then prints
# one summary line ("N passed, N failed, N skipped").
# The real chest X-ray set is expected at ../shared/data/chest_xray (override with PNEUMONIA_CHEST_XRAY_DIR).
set -uo pipefail
cd "$(dirname "$0")"
log=$(mktemp)
dotnet test PneumoniaOrleans.sln -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# dotnet test prints one "Passed!/Failed!  - Failed: F, Passed: P, Skipped: S, ..." line per test assembly.
grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}'
rm -f "$log"
exit "$status"
