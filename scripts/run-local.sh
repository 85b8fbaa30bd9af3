#!/usr/bin/env bash
# Starts a working local deployment: the sandbox (a stand-in for Auth0 and DataForge) and N gateway instances
# on loopback ports, optionally sharing a local Redis. No secrets needed. Ctrl+C stops everything.
#
#   scripts/run-local.sh                   one gateway on the in-process cache
#   scripts/run-local.sh --instances 3 --redis
#   scripts/run-local.sh --no-build        use what is already built (CONFIGURATION, default Release)
#
# Ports (change with the environment variables): sandbox $SANDBOX_PORT (5099), gateway i on proxy port
# $GATEWAY_PORT+2i (5080, 5082, ...) and management port $GATEWAY_PORT+2i+1, Redis $REDIS_PORT (6390).
# Extra gateway settings: $GATEWAY_ARGS, for example "--Gateway:RateLimits:Default:Burst=10".
# Logs and pid files go to $LOG_DIR (a new temporary folder by default): gateway-<i>.log, gateway-<i>.pid.
set -euo pipefail
cd "$(dirname "$0")/.."

instances=1
use_redis=false
build=true
while [ $# -gt 0 ]; do
  case "$1" in
    --instances) instances="$2"; shift 2 ;;
    --redis) use_redis=true; shift ;;
    --no-build) build=false; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

sandbox_port="${SANDBOX_PORT:-5099}"
gateway_port="${GATEWAY_PORT:-5080}"
redis_port="${REDIS_PORT:-6390}"
configuration="${CONFIGURATION:-Release}"
logs="${LOG_DIR:-$(mktemp -d -t dataforge-gateway.XXXXXX)}"
demo_key="dfgw_sandboxdemo_DemoKeyForTheLocalSandboxOnly0003EPo7R"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_until_up() { # url name [text the answer must contain] [pid log]: a process that exits is reported at once
  for _ in $(seq 1 150); do
    if curl -fsS "$1" 2>/dev/null | grep -q "${3:-}"; then return 0; fi
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
      local code=0
      wait "$4" || code=$?
      # What it said about itself (a misconfiguration is one line naming the key), not where to look for it.
      grep -E "^Configuration error: " "$5" >&2 || tail -n 20 "$5" >&2
      echo "$2 exited with $code while starting; its whole log is $5" >&2
      exit $(( code == 0 ? 1 : code ))
    fi
    sleep 0.2
  done
  echo "$2 did not come up; its log is in $logs" >&2
  exit 1
}

port_taken() { # port: whether something listens on 127.0.0.1:port already
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Every port this run needs must be free: a second copy must not take the first one's answers for its own.
ports=("$sandbox_port:the sandbox (SANDBOX_PORT)")
[ "$use_redis" = true ] && ports+=("$redis_port:Redis (REDIS_PORT)")
for i in $(seq 0 $((instances - 1))); do
  ports+=("$((gateway_port + 2 * i)):gateway $i's proxy (GATEWAY_PORT)" "$((gateway_port + 2 * i + 1)):gateway $i's management port (GATEWAY_PORT)")
done
for entry in "${ports[@]}"; do
  if port_taken "${entry%%:*}"; then
    echo "Port ${entry%%:*}, for ${entry#*:}, is already in use (another run-local.sh?). Stop it, or choose other ports, e.g. GATEWAY_PORT=6080 SANDBOX_PORT=6099." >&2
    exit 1
  fi
done

mkdir -p "$logs"
if [ "$build" = true ]; then
  echo "Building ($configuration)..."
  # Quiet when it works; the compiler's errors when it does not.
  for project in src/DataForgeGateway/DataForgeGateway.csproj src/DataForge.Sandbox/DataForge.Sandbox.csproj; do
    if ! dotnet build "$project" -c "$configuration" -v quiet -nologo >"$logs/build.log" 2>&1; then
      grep -E "error|Error" "$logs/build.log" >&2 || cat "$logs/build.log" >&2
      echo "The build failed (the whole output is in $logs/build.log)." >&2
      exit 1
    fi
  done
fi
gateway_bin="$PWD/src/DataForgeGateway/bin/$configuration/net10.0"
sandbox_bin="$PWD/src/DataForge.Sandbox/bin/$configuration/net10.0"

redis_settings=()
if [ "$use_redis" = true ]; then
  command -v redis-server >/dev/null || { echo "--redis needs redis-server (apt-get install -y redis-server)" >&2; exit 1; }
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$logs/redis.log" 2>&1 &
  pids+=($!)
  redis_settings=(--Gateway:Redis:ConnectionString "127.0.0.1:$redis_port")
fi

dotnet "$sandbox_bin/DataForge.Sandbox.dll" --urls "http://127.0.0.1:$sandbox_port" >"$logs/sandbox.log" 2>&1 &
pids+=($!)
wait_until_up "http://127.0.0.1:$sandbox_port/_sandbox/stats" "The sandbox"

for i in $(seq 0 $((instances - 1))); do
  proxy=$((gateway_port + 2 * i))
  management=$((proxy + 1))
  dotnet "$gateway_bin/DataForgeGateway.dll" --contentRoot "$gateway_bin" --environment Sandbox \
    --urls "http://127.0.0.1:$proxy" --Gateway:Management:Url "http://127.0.0.1:$management" \
    --Gateway:Environments:sandbox:BaseUrl "http://127.0.0.1:$sandbox_port" \
    --Gateway:Environments:sandbox:Auth0:TokenUrl "http://127.0.0.1:$sandbox_port/oauth/token" \
    --Gateway:WorkloadIdentity:Issuers:local:Issuer "http://127.0.0.1:$sandbox_port" \
    "${redis_settings[@]}" ${GATEWAY_ARGS:-} >"$logs/gateway-$i.log" 2>&1 &
  pids+=($!)
  echo $! >"$logs/gateway-$i.pid"
done
for i in $(seq 0 $((instances - 1))); do
  # Healthy: Redis connected, the token fetched, the sandbox answering.
  wait_until_up "http://127.0.0.1:$((gateway_port + 2 * i + 1))/health/ready" "Gateway $i" '"status":"Healthy"' "$(cat "$logs/gateway-$i.pid")" "$logs/gateway-$i.log"
done

cat <<MSG

DataForge Gateway is running: $instances instance(s) in front of the sandbox on http://127.0.0.1:$sandbox_port$( [ "$use_redis" = true ] && echo ", sharing Redis on 127.0.0.1:$redis_port").
$(for i in $(seq 0 $((instances - 1))); do echo "  gateway $i: proxy http://127.0.0.1:$((gateway_port + 2 * i)), management http://127.0.0.1:$((gateway_port + 2 * i + 1)) (/health/ready, /metrics), log $logs/gateway-$i.log"; done)
Logs: $logs

Try it (the demo key works only against this local sandbox):

  curl -s -H 'X-Api-Key: $demo_key' 'http://127.0.0.1:$gateway_port/external/sources?projectId=1'
  curl -s -X POST -H 'X-Api-Key: $demo_key' 'http://127.0.0.1:$gateway_port/external/source-pull/19643'
  curl -s -X POST -H 'X-Api-Key: $demo_key' -H 'Content-Type: application/json' \\
       -d '{"source_id": "19709", "limit": "5", "effective_filter": "false"}' 'http://127.0.0.1:$gateway_port/external/inputs-filtered'
  curl -s -H 'X-Api-Key: $demo_key' 'http://127.0.0.1:$gateway_port/external/sources-filtered-by-name/demo?projectId=1'

The README's Python example runs as it is against this gateway (its defaults are this address and the demo key):
  DATAFORGE_GATEWAY_URL=http://127.0.0.1:$gateway_port DATAFORGE_GATEWAY_KEY=$demo_key python3 example.py

A workload caller, with no key: the sandbox is also a cluster's service-account issuer; mint the token a pod of
service account demo/demo-workload would have mounted, and send it as a bearer token:

  export DATAFORGE_WORKLOAD_TOKEN=\$(curl -s -X POST 'http://127.0.0.1:$sandbox_port/_sandbox/workload-token?subject=system:serviceaccount:demo:demo-workload&audience=dataforge-gateway')
  curl -s -H "Authorization: Bearer \$DATAFORGE_WORKLOAD_TOKEN" 'http://127.0.0.1:$gateway_port/external/sources?projectId=1'

Health: curl -s http://127.0.0.1:$((gateway_port + 1))/health/ready
Tokens the sandbox issued so far: curl -s http://127.0.0.1:$sandbox_port/_sandbox/stats

Press Ctrl+C to stop.
MSG
wait
