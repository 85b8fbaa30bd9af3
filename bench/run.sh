#!/usr/bin/env bash
# DataForge Gateway benchmark: one command, loopback only, public tools (wrk and hey from Debian's packages).
#
#   bench/run.sh                      each arm warmed up until the JIT is done (60 to 240 s), then 3 interleaved rounds of 10 s a run
#   ROUNDS=5 DURATION=15 WARMUP=90 WARMUP_MAX=300 bench/run.sh
#   SHARED_READS=true bench/run.sh    the gateway's shared reads on (off by default here; see below)
#
# Arms, measured in interleaved rounds, plain YARP between every two others (A B C B W B D B E B F B, again, ...):
#   A  the sandbox directly                     (the floor of the floor)
#   B  plain YARP pass-through, same Kestrel    (the floor the gateway adds to)
#   C  the full gateway: API key, token, rate limit, audit, telemetry, in-process caches
#   W  C's process, called by a workload caller: its service-account token (the sandbox's issuer) instead of a key
#   D  the full gateway with Redis (token cache and rate limits shared)
#   E  C exporting its telemetry over OTLP (to bench/OtlpSink, a stand-in collector): every span recorded, metrics,
#      and the audit records as OpenTelemetry logs, as in production with a collector and the default sampler
#   F  the production shape, as the Helm chart deploys it: Redis shared, OTLP exported, traces sampled at the chart's
#      default ratio (parentbased_traceidratio 0.1); metrics and every audit record exported
# and, after each round, F3: three replicas of F sharing one Redis and one core, loaded at once (their sum).
# This VM's speed drifts by up to half from one minute to the next, so each arm is compared with the plain YARP runs
# just before and just after it (their mean), not with one run of B a minute away.
# wrk sends the same GET on every connection at once: with shared reads on (the gateway's default), concurrent
# identical reads are answered from one DataForge call and the gateway outruns plain YARP, which measures the load's
# shape, not the gateway. So the arms forward every request (Gateway:SharedReads:Coalesce=false) unless
# SHARED_READS=true.
# Reported as medians with min and max: requests/s at saturation, C/B and C/A; p50/p99 at a fixed rate of half
# of B's maximum and the milliseconds the gateway adds; CPU microseconds and bytes allocated per request; Redis
# commands per request; Auth0 token requests during the run. Results: bench/results/latest.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-3}"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-32}"
work="$(mktemp -d -t dfgw-bench.XXXXXX)"
results="bench/results"
mkdir -p "$results"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need hey || ! need redis-server || ! need taskset; then
  echo "Installing wrk, hey, redis-server (Debian packages)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq wrk hey redis-server util-linux >/dev/null
fi

cores=$(nproc)
server_cpus="0"; load_cpus="1"
if [ "$cores" -ge 4 ]; then server_cpus="0-$((cores / 2 - 1))"; load_cpus="$((cores / 2))-$((cores - 1))"; fi
if [ "$cores" -lt 2 ]; then server_cpus="0"; load_cpus="0"; fi

echo "Building (Release)..."
for project in src/DataForgeGateway src/DataForge.Sandbox bench/PlainProxy bench/AllocationProbe bench/OtlpSink; do
  dotnet build "$project" -c Release -v quiet -nologo >/dev/null
done
gateway_dll="$PWD/src/DataForgeGateway/bin/Release/net10.0/DataForgeGateway.dll"
sandbox_dll="$PWD/src/DataForge.Sandbox/bin/Release/net10.0/DataForge.Sandbox.dll"
plain_dll="$PWD/bench/PlainProxy/bin/Release/net10.0/PlainProxy.dll"
probe_dll="$PWD/bench/AllocationProbe/bin/Release/net10.0/AllocationProbe.dll"
sink_dll="$PWD/bench/OtlpSink/bin/Release/net10.0/OtlpSink.dll"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
sandbox_port=$(free_port); plain_port=$(free_port); c_port=$(free_port); c_mgmt=$(free_port); d_port=$(free_port); d_mgmt=$(free_port); redis_port=$(free_port)
e_port=$(free_port); e_mgmt=$(free_port); sink_port=$(free_port)
f_ports=($(free_port) $(free_port) $(free_port)); f_mgmts=($(free_port) $(free_port) $(free_port))

start() { # name, then the command
  local name=$1; shift
  # Every method the JIT compiles is a line of $name.jit (the runtime's own summary): how the warm-up knows when
  # tiering is done, and how the results show that no run measured the JIT.
  DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile="$work/$name.jit" \
  DOTNET_STARTUP_HOOKS="$probe_dll" BENCH_ALLOC_FILE="$work/$name.alloc" taskset -c "$server_cpus" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!); echo $! >"$work/$name.pid"
}
wait_for() { for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done; echo "$1 did not come up" >&2; exit 1; }

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
start sandbox dotnet "$sandbox_dll" --urls "http://127.0.0.1:$sandbox_port" --Logging:LogLevel:Default=Warning
wait_for "http://127.0.0.1:$sandbox_port/_sandbox/stats"
start sink dotnet "$sink_dll" --urls "http://127.0.0.1:$sink_port"
wait_for "http://127.0.0.1:$sink_port/stats"
token=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d '{"client_id":"sandbox-client","client_secret":"sandbox-secret","audience":"https://sandbox.api.dataforgedev.com","grant_type":"client_credentials"}' \
  "http://127.0.0.1:$sandbox_port/oauth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

BENCH_TOKEN="$token" start plain dotnet "$plain_dll" --urls "http://127.0.0.1:$plain_port" --Upstream "http://127.0.0.1:$sandbox_port"
gateway_args=(--contentRoot "$(dirname "$gateway_dll")" --environment Sandbox
  --Gateway:Environments:sandbox:BaseUrl "http://127.0.0.1:$sandbox_port"
  --Gateway:Environments:sandbox:Auth0:TokenUrl "http://127.0.0.1:$sandbox_port/oauth/token"
  --Gateway:Environments:sandbox:MaxConcurrentRequests 1024
  --Gateway:RateLimits:Default:PermitsPerSecond 1000000 --Gateway:RateLimits:Default:Burst 1000000
  --Gateway:WorkloadIdentity:Issuers:local:Issuer "http://127.0.0.1:$sandbox_port"
  --Gateway:SharedReads:Coalesce "${SHARED_READS:-false}")
start gateway dotnet "$gateway_dll" "${gateway_args[@]}" --urls "http://127.0.0.1:$c_port" --Gateway:Management:Url "http://127.0.0.1:$c_mgmt"
start gateway-redis dotnet "$gateway_dll" "${gateway_args[@]}" --urls "http://127.0.0.1:$d_port" --Gateway:Management:Url "http://127.0.0.1:$d_mgmt" \
  --Gateway:Redis:ConnectionString "127.0.0.1:$redis_port"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
  start gateway-otlp dotnet "$gateway_dll" "${gateway_args[@]}" --urls "http://127.0.0.1:$e_port" --Gateway:Management:Url "http://127.0.0.1:$e_mgmt"
for i in 0 1 2; do
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
    OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 \
    start "gateway-prod$i" dotnet "$gateway_dll" "${gateway_args[@]}" --urls "http://127.0.0.1:${f_ports[$i]}" \
    --Gateway:Management:Url "http://127.0.0.1:${f_mgmts[$i]}" --Gateway:Redis:ConnectionString "127.0.0.1:$redis_port"
done
wait_for "http://127.0.0.1:$c_mgmt/health/ready"; wait_for "http://127.0.0.1:$d_mgmt/health/ready"; wait_for "http://127.0.0.1:$e_mgmt/health/ready"
for i in 0 1 2; do wait_for "http://127.0.0.1:${f_mgmts[$i]}/health/ready"; done

key="dfgw_sandboxdemo_DemoKeyForTheLocalSandboxOnly0003EPo7R"
# The demo workload's token (appsettings.Sandbox.json maps its subject to a caller), valid for the whole run.
workload=$(curl -fsS -X POST "http://127.0.0.1:$sandbox_port/_sandbox/workload-token?subject=system:serviceaccount:demo:demo-workload&audience=dataforge-gateway&lifetimeSeconds=86400")
path="/external/sources?projectId=1"
declare -A url=([A]="http://127.0.0.1:$sandbox_port$path" [B]="http://127.0.0.1:$plain_port$path" [C]="http://127.0.0.1:$c_port$path" [W]="http://127.0.0.1:$c_port$path" [D]="http://127.0.0.1:$d_port$path" [E]="http://127.0.0.1:$e_port$path" [F]="http://127.0.0.1:${f_ports[0]}$path")
declare -A header=([A]="Authorization: Bearer $token" [B]="X-Bench: plain" [C]="X-Api-Key: $key" [W]="Authorization: Bearer $workload" [D]="X-Api-Key: $key" [E]="X-Api-Key: $key" [F]="X-Api-Key: $key")
declare -A process=([A]=sandbox [B]=plain [C]=gateway [W]=gateway [D]=gateway-redis [E]=gateway-otlp [F]=gateway-prod0)
arms=(A B C W D E F)
sequence=(A B C B W B D B E B F B)   # each of C W D E F between two runs of B

cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$work/$1.pid")/stat"; }
allocated() { cat "$work/$1.alloc" 2>/dev/null || echo 0; }
# Commands Redis executed (those inside the rate-limit script included), and round trips (the script calls).
redis_calls() { redis-cli -p "$redis_port" INFO commandstats | awk -F'[=,:]' '/^cmdstat_/ && $1 !~ /cmdstat_(info|ping|client|hello|select|config)/ {sum += $3} END {print sum + 0}'; }
redis_trips() { redis-cli -p "$redis_port" INFO commandstats | awk -F'[=,:]' '/^cmdstat_/ && $1 !~ /cmdstat_(info|ping|client|hello|select|config|time|get|set)$/ {sum += $3} END {print sum + 0}'; }
# What the stand-in collector has received so far: bytes of logs and of traces.
otlp_bytes() { curl -fsS "http://127.0.0.1:$sink_port/stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("logs",{}).get("bytes",0), d.get("traces",{}).get("bytes",0))'; }
# Waits until the exporters have sent what a run left in their batches (nothing new for a while, at most 10 s).
otlp_settle() { local last="" now; for _ in $(seq 1 16); do now=$(otlp_bytes); [ "$now" = "$last" ] && return 0; last=$now; sleep 0.6; done; }
tokens_issued() { curl -fsS "http://127.0.0.1:$sandbox_port/_sandbox/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_issued"])'; }
ticks_per_second=$(getconf CLK_TCK)

# Every process here, the plain proxy included, speeds up three- to fourfold over its first minute under load
# (tiered compilation and dynamic PGO, with the JIT's background thread competing for the one server core), and on a
# slow state of this VM the gateway was still compiling hot methods after 70 s. So each arm is loaded for WARMUP
# seconds (60) and then for 10 s more at a time until the JIT compiled at most JIT_QUIET methods (25: timers and
# the like go on compiling a few) in those 10 s, or WARMUP_MAX seconds (240) have passed.
jitted() { if [ -f "$work/$1.jit" ]; then wc -l <"$work/$1.jit"; else echo 0; fi; }
warm_up() { # process name, URL, header
  local name=$1 target=$2 head=$3 spent=${WARMUP:-60} before
  taskset -c "$load_cpus" wrk -t1 -c"$connections" -d"${WARMUP:-60}s" -H "$head" "$target" >/dev/null
  while [ "$spent" -lt "${WARMUP_MAX:-240}" ]; do
    before=$(jitted "$name")
    taskset -c "$load_cpus" wrk -t1 -c"$connections" -d10s -H "$head" "$target" >/dev/null
    spent=$((spent + 10))
    [ $(($(jitted "$name") - before)) -le "${JIT_QUIET:-25}" ] && break
  done
  printf 'warmup\t%s\t%s\n' "$name" "$spent" >>"$work/samples.tsv"
  echo "  $name: $spent s"
}
: >"$work/samples.tsv"
echo "Warming up (${WARMUP:-60} to ${WARMUP_MAX:-240} s per arm, until the JIT is done)..."
for arm in "${arms[@]}"; do warm_up "${process[$arm]}" "${url[$arm]}" "${header[$arm]}"; done
for i in 1 2; do warm_up "gateway-prod$i" "http://127.0.0.1:${f_ports[$i]}$path" "X-Api-Key: $key"; done

tokens_before=$(tokens_issued)
for round in $(seq 1 "$rounds"); do
  for arm in "${sequence[@]}"; do
    name=${process[$arm]}
    ticks=$(cpu_ticks "$name"); bytes=$(allocated "$name"); jit=$(jitted "$name"); calls=$(redis_calls); trips=$(redis_trips); read -r logs0 traces0 <<<"$(otlp_bytes)"
    out=$(taskset -c "$load_cpus" wrk -t1 -c"$connections" -d"${duration}s" -H "${header[$arm]}" "${url[$arm]}")
    sleep 0.3 # let the allocation probe write once more
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}'); non2xx=${non2xx:-0}
    cpu_us=$(python3 -c "print(($(cpu_ticks "$name") - $ticks) * 1e6 / $ticks_per_second / $requests)")
    bytes_per=$(python3 -c "print(($(allocated "$name") - $bytes) / $requests)")
    redis_per=$(python3 -c "print(($(redis_calls) - $calls) / $requests)")
    trips_per=$(python3 -c "print(($(redis_trips) - $trips) / $requests)")
    # OTLP bytes per request (E and F): once the exporters have sent the run's last batches, so that none is
    # counted in the next arm's run.
    case $arm in E|F) otlp_settle ;; esac
    read -r logs1 traces1 <<<"$(otlp_bytes)"
    logs_per=$(python3 -c "print(($logs1 - $logs0) / $requests)"); traces_per=$(python3 -c "print(($traces1 - $traces0) / $requests)")
    compiled=$(($(jitted "$name") - jit))
    printf 'throughput\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$arm" "$rps" "$cpu_us" "$bytes_per" "$redis_per" "$non2xx" "$trips_per" "$logs_per" "$traces_per" "$compiled" >>"$work/samples.tsv"
    echo "round $round $arm: $rps req/s, $cpu_us us CPU/req, $bytes_per B/req, $redis_per Redis cmds/req ($trips_per round trips), non-2xx $non2xx, OTLP B/req logs $logs_per traces $traces_per, $compiled methods compiled"
  done

  # F3: the three production-shape replicas at once, a third of the connections each; their sum.
  f3_pids=()
  for i in 0 1 2; do
    taskset -c "$load_cpus" wrk -t1 -c"$((connections / 3))" -d"${duration}s" -H "X-Api-Key: $key" "http://127.0.0.1:${f_ports[$i]}$path" >"$work/f3.$i" &
    f3_pids+=($!)
  done
  wait "${f3_pids[@]}"
  f3=$(cat "$work"/f3.* | awk '/Requests\/sec/ {sum += $2} END {print sum + 0}')
  printf 'aggregate\t%s\tF3\t%s\n' "$round" "$f3" >>"$work/samples.tsv"
  echo "round $round F3 (three replicas at once): $f3 req/s"

  # Latency at a fixed rate: half of this round's plain-YARP maximum (the mean of its B runs), spread over 16 workers.
  b_rps=$(awk -F'\t' -v r="$round" '$1=="throughput" && $2==r && $3=="B" {sum += $4; n++} END {print sum / n}' "$work/samples.tsv")
  per_worker=$(python3 -c "print(max(1, int($b_rps / 2 / 16)))")
  for arm in "${arms[@]}"; do
    out=$(taskset -c "$load_cpus" hey -z "${duration}s" -c 16 -q "$per_worker" -H "${header[$arm]}" "${url[$arm]}")
    p50=$(echo "$out" | awk '/ 50% in/ {print $3 * 1000}')
    p99=$(echo "$out" | awk '/ 99% in/ {print $3 * 1000}')
    printf 'latency\t%s\t%s\t%s\t%s\t%s\n' "$round" "$arm" "$p50" "$p99" "$((per_worker * 16))" >>"$work/samples.tsv"
    echo "round $round $arm at $((per_worker * 16)) req/s: p50 ${p50} ms, p99 ${p99} ms"
  done
done
tokens_after=$(tokens_issued)
curl -fsS "http://127.0.0.1:$sink_port/stats" >"$work/otlp.json"

python3 - "$work/samples.tsv" "$results" "$((tokens_after - tokens_before))" "$rounds" "$duration" "$connections" "$work/otlp.json" <<'PY'
import json, statistics, sys, platform, os, datetime, subprocess
samples, out, tokens, rounds, duration, connections = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
otlp = json.load(open(sys.argv[7]))
# order: each round's throughput runs as they ran, (arm, requests/s), for the ratios against the B runs beside them.
thr, lat, agg, order, warmup = {}, {}, [], {}, {}
for line in open(samples):
    f = line.rstrip("\n").split("\t")
    if f[0] == "warmup":
        warmup[f[1]] = int(f[2])
    elif f[0] == "aggregate":
        agg.append(float(f[3]))
    elif f[0] == "throughput":
        thr.setdefault(f[2], []).append(dict(rps=float(f[3]), cpu_us=float(f[4]), bytes=float(f[5]), redis=float(f[6]), non2xx=int(f[7]), trips=float(f[8]), logs=float(f[9]), traces=float(f[10]), compiled=int(f[11])))
        order.setdefault(int(f[1]), []).append((f[2], float(f[3])))
    else:
        lat.setdefault(f[2], []).append(dict(p50=float(f[3]), p99=float(f[4]), rate=int(f[5])))
def stat(values):
    return dict(median=statistics.median(values), min=min(values), max=max(values))
rounds_n = len(thr["A"])
# Each arm against plain YARP measured next to it: the mean of the B runs just before and just after it in the same
# round; F3 against the B run just before it, the round's last.
order = [order[r] for r in sorted(order)]
def beside(arm):
    ratios = []
    for run in order:
        i = [name for name, _ in run].index(arm)
        b = [rps for name, rps in (run[i - 1:i] + run[i + 1:i + 2]) if name == "B"]
        ratios.append(run[i][1] / statistics.mean(b))
    return ratios
ratio_cb, ratio_db, ratio_eb, ratio_fb, ratio_wb = beside("C"), beside("D"), beside("E"), beside("F"), beside("W")
# A workload caller against a key caller, both on C's process: throughput and CPU per request, round by round.
ratio_wc = [thr["W"][i]["rps"] / thr["C"][i]["rps"] for i in range(len(thr["W"]))]
cpu_wc = [thr["W"][i]["cpu_us"] / thr["C"][i]["cpu_us"] for i in range(len(thr["W"]))]
ratio_ca = [thr["C"][i]["rps"] / thr["A"][i]["rps"] for i in range(rounds_n)]
ratio_f3b = [agg[i] / order[i][-1][1] for i in range(min(rounds_n, len(agg)))]
added_p99 = [lat["C"][i]["p99"] - lat["B"][i]["p99"] for i in range(rounds_n)]
added_p50 = [lat["C"][i]["p50"] - lat["B"][i]["p50"] for i in range(rounds_n)]
added_p99_d = [lat["D"][i]["p99"] - lat["B"][i]["p99"] for i in range(rounds_n)]
added_p99_e = [lat["E"][i]["p99"] - lat["B"][i]["p99"] for i in range(rounds_n)]
added_p99_f = [lat["F"][i]["p99"] - lat["B"][i]["p99"] for i in range(rounds_n)]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform()},
    "settings": {"rounds": rounds, "seconds_per_run": duration, "connections": connections, "shared_reads": os.environ.get("SHARED_READS", "false")},
    "arms": {arm: {
        "requests_per_second": stat([s["rps"] for s in thr[arm]]),
        "cpu_us_per_request": stat([s["cpu_us"] for s in thr[arm]]),
        "bytes_allocated_per_request": stat([s["bytes"] for s in thr[arm]]),
        "redis_commands_per_request": stat([s["redis"] for s in thr[arm]]),
        "redis_round_trips_per_request": stat([s["trips"] for s in thr[arm]]),
        "otlp_log_bytes_per_request": stat([s["logs"] for s in thr[arm]]),
        "otlp_trace_bytes_per_request": stat([s["traces"] for s in thr[arm]]),
        "non_2xx": sum(s["non2xx"] for s in thr[arm]),
        "methods_compiled_per_run": stat([s["compiled"] for s in thr[arm]]),
        "p50_ms_at_half_load": stat([s["p50"] for s in lat[arm]]),
        "p99_ms_at_half_load": stat([s["p99"] for s in lat[arm]]),
        "half_load_rate": stat([s["rate"] for s in lat[arm]]),
    } for arm in "ABCWDEF"},
    "three_replicas_F3_requests_per_second": stat(agg),
    "ratios": {"C/B": stat(ratio_cb), "C/A": stat(ratio_ca), "D/B": stat(ratio_db), "E/B": stat(ratio_eb), "F/B": stat(ratio_fb), "F3/B": stat(ratio_f3b), "W/B": stat(ratio_wb), "W/C": stat(ratio_wc), "W/C CPU per request": stat(cpu_wc)},
    "added_ms_at_half_load": {"C_p50": stat(added_p50), "C_p99": stat(added_p99), "D_p99": stat(added_p99_d), "E_p99": stat(added_p99_e), "F_p99": stat(added_p99_f)},
    "warmup_seconds": warmup,
    "auth0_token_requests_during_run": tokens,
    "otlp_received_by_sink": otlp,
}
json.dump(result, open(os.path.join(out, "latest.json"), "w"), indent=2)
names = {"A": "A sandbox directly", "B": "B plain YARP", "C": "C gateway", "W": "W gateway, workload caller", "D": "D gateway + Redis", "E": "E gateway exporting OTLP", "F": "F gateway + Redis + OTLP"}
f = lambda s, d=0: f"{s['median']:.{d}f} ({s['min']:.{d}f}–{s['max']:.{d}f})"
lines = [
    f"Benchmark of {result['date']} on {cpu}, {os.cpu_count()} cores; {rounds} interleaved rounds of {duration} s (A B C B W B D B E B F B), {connections} connections. Medians (min–max); each ratio to B against the B runs just before and after.",
    "",
    "| arm | req/s | p50 ms at half load | p99 ms at half load | CPU µs/req | bytes/req | Redis cmds/req | Redis round trips/req | OTLP log B/req | OTLP trace B/req |",
    "|---|---|---|---|---|---|---|---|---|---|",
]
for arm in "ABCWDEF":
    a = result["arms"][arm]
    lines.append(f"| {names[arm]} | {f(a['requests_per_second'])} | {f(a['p50_ms_at_half_load'], 2)} | {f(a['p99_ms_at_half_load'], 2)} | {f(a['cpu_us_per_request'])} | {f(a['bytes_allocated_per_request'])} | {f(a['redis_commands_per_request'], 2)} | {f(a['redis_round_trips_per_request'], 2)} | {f(a['otlp_log_bytes_per_request'])} | {f(a['otlp_trace_bytes_per_request'])} |")
lines += [
    "",
    f"- C/B throughput: {f(result['ratios']['C/B'], 3)}; C/A: {f(result['ratios']['C/A'], 3)}; D/B: {f(result['ratios']['D/B'], 3)}; E/B: {f(result['ratios']['E/B'], 3)}; F/B: {f(result['ratios']['F/B'], 3)}",
    f"- A workload caller (W) against a key caller (C), same process: throughput {f(result['ratios']['W/C'], 3)}, CPU per request {f(result['ratios']['W/C CPU per request'], 3)}; W/B {f(result['ratios']['W/B'], 3)}",
    f"- F3, three F replicas on the same core at once: {f(result['three_replicas_F3_requests_per_second'])} req/s in all, F3/B {f(result['ratios']['F3/B'], 3)}",
    f"- Added at half of B's maximum: p50 {f(result['added_ms_at_half_load']['C_p50'], 2)} ms, p99 {f(result['added_ms_at_half_load']['C_p99'], 2)} ms (with Redis: p99 {f(result['added_ms_at_half_load']['D_p99'], 2)} ms; exporting OTLP: p99 {f(result['added_ms_at_half_load']['E_p99'], 2)} ms; Redis and OTLP: p99 {f(result['added_ms_at_half_load']['F_p99'], 2)} ms)",
    f"- Auth0 token requests during the run: {tokens}",
    "- Warm-up, until the JIT was done: " + ", ".join(f"{k} {v} s" for k, v in warmup.items()) + "; methods compiled during a measured run, median (max): " + ", ".join(f"{arm} {result['arms'][arm]['methods_compiled_per_run']['median']:.0f} ({result['arms'][arm]['methods_compiled_per_run']['max']:.0f})" for arm in "ABCWDEF"),
    "- OTLP exports the stand-in collector received from E (whole run, warm-up included): " + (", ".join(f"{k} {v['exports']} ({v['bytes'] // 1024} KiB)" for k, v in sorted(otlp.items())) or "none"),
]
open(os.path.join(out, "latest.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
