#!/usr/bin/env bash
# Runs the reliability suite (tests/Pneumonia.Reliability.Tests) and regenerates docs/RELIABILITY.md from the cases
# it recorded (kept in artifacts/reliability/). Extra arguments go to dotnet test (e.g. --filter).
# The full-disk test mounts a tmpfs and needs root; elsewhere it is reported as skipped.
set -euo pipefail
cd "$(dirname "$0")"
results=artifacts/reliability
rm -rf "$results"
mkdir -p "$results"
PNEUMONIA_RELIABILITY_RESULTS=$PWD/$results dotnet test tests/Pneumonia.Reliability.Tests -c Release "$@"
dotnet run tests/reliability-report.cs -- "$results" docs/RELIABILITY.md
