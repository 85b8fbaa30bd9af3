#!/usr/bin/env bash
# How start-up and a reload grow with the number of callers: for each count and each form, a file of that many
# callers (each with a key, projects and operations) is given to a Release gateway in front of the sandbox, either
# as ordinary configuration (form "settings": Gateway:SettingsFile, { "Gateway": { "Callers": {...} } }) or as a
# callers file (form "file": Gateway:CallersFile, the same callers object alone); the script reports seconds to the
# port answering, to Ready, to a reload applied (one caller's key changed in the file, timed from the rename that
# puts the new file in place), the resident memory, and requests/s of one caller (curl loop, a rough figure:
# bench/run.sh measures throughput properly).
#   bench/callers-scale.sh [COUNT...]        default: 10 1000 100000; FORMS="settings file" by default
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 1000 100000)
read -r -a forms <<< "${FORMS:-settings file}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

for project in src/DataForgeGateway src/DataForge.Sandbox; do dotnet build "$project" -c Release -v quiet -nologo >/dev/null || { echo "$project did not build"; exit 1; }; done
gateway_bin="$PWD/src/DataForgeGateway/bin/Release/net10.0"
sandbox_dll="src/DataForge.Sandbox/bin/Release/net10.0/DataForge.Sandbox.dll"
sandbox_port=5390
dotnet "$sandbox_dll" --urls "http://127.0.0.1:$sandbox_port" >"$work/sandbox.log" 2>&1 &
until curl -sf -o /dev/null "http://127.0.0.1:$sandbox_port/_sandbox/stats"; do sleep 0.2; done

write_settings() { # COUNT FILE CHANGED FORM
  python3 - "$1" "$2" "$3" "$4" <<'EOF'
import hashlib, json, sys
count, path, changed, form = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", sys.argv[4]
def sha(text): return hashlib.sha256(text.encode()).hexdigest()
callers = {}
for i in range(count):
    key = f"scale-key-{i}" + ("-rotated" if changed and i == count // 2 else "")
    callers[f"svc-{i:06d}"] = {"Keys": [{"Sha256": sha(key)}], "ProjectIds": ["1", str(2 + i % 50)], "SourceIds": ["19643", str(20000 + i % 100)], "Operations": ["sources", "source-pull"]}
json.dump({"Gateway": {"Callers": callers}} if form == "settings" else callers, open(path, "w"))
EOF
}

now() { date +%s.%N; }
printf '%-9s %-8s %10s %10s %10s %10s %12s\n' form callers port_s ready_s reload_s rss_mib req_per_s
for form in "${forms[@]}"; do
for count in "${counts[@]}"; do
  settings="$work/callers.json"
  write_settings "$count" "$settings" 0 "$form"
  [ "$form" = settings ] && named=(--Gateway:SettingsFile "$settings") || named=(--Gateway:CallersFile "$settings")
  proxy=5392 management=5393
  start=$(now)
  # The local sandbox shape (appsettings.Sandbox.json, as scripts/run-local.sh runs it), plus the callers' file.
  dotnet "$gateway_bin/DataForgeGateway.dll" --contentRoot "$gateway_bin" --environment Sandbox \
    --urls "http://127.0.0.1:$proxy" --Gateway:Management:Url "http://127.0.0.1:$management" \
    --Gateway:Environments:sandbox:BaseUrl "http://127.0.0.1:$sandbox_port" \
    --Gateway:Environments:sandbox:Auth0:TokenUrl "http://127.0.0.1:$sandbox_port/oauth/token" \
    --Gateway:WorkloadIdentity:Issuers:local:Issuer "http://127.0.0.1:$sandbox_port" \
    "${named[@]}" --Gateway:SecretsPollInterval 00:00:00.200 \
    --Gateway:RateLimits:Default:PermitsPerSecond 100000 --Gateway:RateLimits:Default:Burst 100000 >"$work/gateway.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$management/health/live"; do
    kill -0 $pid 2>/dev/null || { echo "gateway exited:"; grep -v "^   at " "$work/gateway.log" | tail -5; exit 1; }
    sleep 0.05
  done
  port_s=$(echo "$(now) - $start" | bc)
  until curl -sf -o /dev/null "http://127.0.0.1:$management/health/ready"; do sleep 0.05; done
  ready_s=$(echo "$(now) - $start" | bc)
  rss=$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 ))

  key="scale-key-$((count - 1))"
  requests=0; until_t=$(echo "$(now) + 3" | bc)
  while (( $(echo "$(now) < $until_t" | bc) )); do
    curl -s -o /dev/null -H "X-Api-Key: $key" "http://127.0.0.1:$proxy/external/sources?projectId=1"; requests=$((requests + 1))
  done
  rps=$(echo "$requests / 3" | bc)

  applied_before=$(grep -c "checked and applied" "$work/gateway.log" || true)
  # The changed file is written beside it first, so the time is the gateway's alone (from the rename it sees).
  write_settings "$count" "$settings.next" 1 "$form"
  reload_start=$(now)
  mv "$settings.next" "$settings"
  until [ "$(grep -c "checked and applied" "$work/gateway.log" || true)" -gt "$applied_before" ]; do
    grep -q "Configuration change refused" "$work/gateway.log" && { echo "reload refused:"; grep "refused" "$work/gateway.log" | tail -1; exit 1; }
    sleep 0.05
  done
  reload_s=$(echo "$(now) - $reload_start" | bc)
  printf '%-9s %-8s %10.2f %10.2f %10.2f %10s %12s\n' "$form" "$count" "$port_s" "$ready_s" "$reload_s" "$rss" "$rps"
  kill $pid; wait $pid 2>/dev/null || true
done
done
