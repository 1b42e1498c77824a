#!/usr/bin/env bash
# Load run of `rnc serve` on loopback: requests per second and latency
# percentiles of the published-indicator endpoints, measured with wrk.
#
# Usage:
#   scripts/load_service.sh [WORK_DIR] [PERSONS] [SECONDS] [CONNECTIONS]
#
# Defaults: /tmp/rnc-load, 60000 persons, 30 s, 20 connections. The script
# builds rnc in release mode, runs `rnc demo` on a synthetic population
# (once; the registry is kept in WORK_DIR for later runs), starts
# `rnc serve` on 127.0.0.1 with the rate limit raised out of the way, runs
# wrk with two threads over the five indicator endpoints in turn
# (scripts/load_service.lua), prints wrk's report with its latency
# percentiles and the load average, then stops the service and checks its
# audit log with `rnc audit verify`.
#
# wrk drives as many requests as the service answers (closed loop), so the
# p99 it reports is at the service's saturation rate; when that rate is
# above 1 000 requests per second, p99 at 1 000 requests per second is no
# higher. Needs Debian's wrk (apt-get install wrk). Targets only loopback.
set -euo pipefail

work=${1:-/tmp/rnc-load}
persons=${2:-60000}
seconds=${3:-30}
connections=${4:-20}
port=18080
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
cargo build --release -p rnc-cli --quiet
rnc=${CARGO_TARGET_DIR:-target}/release/rnc

if [ ! -d "$work/demo/registry/releases" ]; then
    rm -rf "$work/demo"
    mkdir -p "$work"
    "$rnc" demo --out "$work/demo" --persons "$persons" --quiet > "$work/demo.log"
    tail -1 "$work/demo.log"
fi
registry=$work/demo/registry

"$rnc" serve --registry "$registry" --listen "127.0.0.1:$port" \
    --rate-limit 1000000 --rate-burst 1000000 2> "$work/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/health" > /dev/null; then break; fi
    sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health" > /dev/null \
    || { echo "the service did not start; see $work/serve.log" >&2; exit 2; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency \
    -s scripts/load_service.lua "http://127.0.0.1:$port"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

kill -TERM "$server"
wait "$server" || true
trap - EXIT
"$rnc" audit verify --registry "$registry" | tail -2
