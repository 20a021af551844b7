#!/usr/bin/env bash
# ZkCompat build entry point. Verbs: build | test | run [zkcompat args...] | bench
# build.ps1 mirrors this script verb for verb.
set -euo pipefail
cd "$(dirname "$0")"

CONFIGURATION="${CONFIGURATION:-Release}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

verb="${1:-build}"
[ $# -gt 0 ] && shift

case "$verb" in
  build)
    dotnet build ZkCompat.sln -c "$CONFIGURATION" "$@"
    ;;
  test)
    dotnet build ZkCompat.sln -c "$CONFIGURATION"
    log="$(mktemp)"
    status=0
    # Unit tests and interop tests (stock Java client/server) are both part of the run.
    # A hung test fails the run (with the name of the test) instead of stalling CI.
    dotnet test ZkCompat.sln -c "$CONFIGURATION" --no-build --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log" || status=$?
    # One plain summary line over all test assemblies.
    awk '/(Passed|Failed)!/ {
           for (i = 1; i <= NF; i++) {
             if ($i == "Failed:")  { f += $(i+1) + 0 }
             if ($i == "Passed:")  { p += $(i+1) + 0 }
             if ($i == "Skipped:") { s += $(i+1) + 0 }
           }
         }
         END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
    if grep -qE '(Passed|Failed)!' "$log"; then :; else echo "no test summary found" >&2; status=1; fi
    if grep -qE 'Skipped: [1-9]' "$log"; then echo "skipped tests are defects here" >&2; status=1; fi
    rm -f "$log"
    exit "$status"
    ;;
  run)
    dotnet run --project src/ZkCompat.Server -c "$CONFIGURATION" -- "$@"
    ;;
  bench)
    exec bash bench/compare.sh "$@"
    ;;
  *)
    echo "usage: $0 build|test|run|bench [args...]" >&2
    exit 2
    ;;
esac
