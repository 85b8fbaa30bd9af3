#!/usr/bin/env bash
# The soak: R gateway replicas (3), one real Redis, the sandbox (Auth0 and DataForge) and a stand-in OTLP collector,
# as separate processes on loopback ports, under a steady mixed load of all four operations from several callers
# for N minutes, while a seeded schedule injects faults one after another and overlapping: Auth0 down, slow,
# answering garbage, 429; DataForge revoking tokens (every 3 s while it lasts), 500, hanging, slow, 429; Redis
# killed and restarted, paused; a replica restarted; a rolling restart, a key rotation and a client-secret rotation
# by file, a rotation of the issuer key that signs the workload caller's tokens (a quarter of the load comes from a workload with
# its service-account token instead of a key). It checks the invariants as it goes and at the end, prints a short report, writes soak-report.json and
# exits non-zero naming the first invariant that broke.
#
#   scripts/soak.sh --minutes 2                          what CI runs after the tests
#   scripts/soak.sh --minutes 60 --replicas 3 --seed 42  a long one; the same seed replays the same schedule
#
# Options: --minutes N (5), --replicas R (3), --seed S (random, printed), --output DIR (a new temporary folder,
# with logs/ of every process), --no-build. Needs redis-server and the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

build=true
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=false; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

command -v redis-server >/dev/null || { echo "The soak needs redis-server (apt-get install -y redis-server)." >&2; exit 2; }
configuration="${CONFIGURATION:-Release}"
if [ "$build" = true ]; then
  echo "Building ($configuration)..."
  for project in src/DataForgeGateway src/DataForge.Sandbox bench/OtlpSink tests/DataForgeGateway.Soak; do
    dotnet build "$project" -c "$configuration" -v quiet -nologo -clp:ErrorsOnly
  done
fi

exec dotnet "tests/DataForgeGateway.Soak/bin/$configuration/net10.0/DataForgeGateway.Soak.dll" --configuration "$configuration" "${args[@]}"
