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
# The first wrk run drives as many requests as the service answers
# (closed loop), so its p99 is at the service's saturation rate. The second
# paces each connection (scripts/load_service.lua) to offer about 1 000
# requests per second, the rate of the target. Needs Debian's wrk (apt-get install wrk). Targets only loopback.
set -euo pipefail

work=${1:-/tmp/rnc-load}
persons=${2:-60000}
seconds=${3:-30}
connections=${4:-20}
port=18080
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
# RNC names an rnc binary already built in release mode; otherwise the
# script builds one.
rnc=${RNC:-}
if [ -z "$rnc" ]; then
    cargo build --release -p rnc-cli --quiet
    rnc=${CARGO_TARGET_DIR:-target}/release/rnc
fi

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

echo "== saturation: $connections connections, each sending its next request at once"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency \
    -s scripts/load_service.lua "http://127.0.0.1:$port"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# About 1 000 requests a second offered: 50 connections, each pausing
# 50 ms between requests.
echo "== paced: 50 connections, 50 ms between requests (about 1 000 requests/s)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
RNC_LOAD_DELAY_MS=50 wrk -t2 -c50 -d"${seconds}s" --latency \
    -s scripts/load_service.lua "http://127.0.0.1:$port"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

kill -TERM "$server"
wait "$server" || true
trap - EXIT
"$rnc" audit verify --registry "$registry" | tail -2
