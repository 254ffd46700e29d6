#!/usr/bin/env bash
# The one test command: restores, builds and runs every test (the README's quick start).
# The real chest X-ray set is expected at ../shared/data/chest_xray (override with PNEUMONIA_CHEST_XRAY_DIR).
set -euo pipefail
cd "$(dirname "$0")"
dotnet test PneumoniaOrleans.sln -c Release --logger "console;verbosity=normal" "$@"
