#!/bin/sh
# Cold-build cost of the Ballista dependencies, as CI pays it: builds the
# workspace's tests (`cargo test --workspace --no-run`, the debug build of
# `.ci/run`) twice into fresh target folders, once with the default
# features (Ballista included) and once with `--no-default-features`
# (in-process DataFusion only). It prints each build's wall time and
# target-folder size and the differences. Ballista's crates also turn on
# DataFusion's default features (compression codecs, crypto functions), so
# the difference covers those too.
#
# Usage: scripts/ballista-build-cost.sh [WORK_DIR]
#   WORK_DIR  scratch folder for the two target folders (default: a new
#             temporary folder). Each build needs several GB; each target
#             folder is deleted once measured.
# Environment: JOBS (default: all cores) is passed as --jobs. Run it on an
# idle machine; `cargo fetch` first so that downloads are not timed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
jobs=${JOBS:-$(nproc)}

cargo fetch --manifest-path "$root/Cargo.toml"

measure() {
    name=$1
    shift
    target="$work/target-$name"
    rm -rf "$target"
    start=$(date +%s)
    CARGO_TARGET_DIR="$target" cargo test --manifest-path "$root/Cargo.toml" \
        --workspace --no-run --jobs "$jobs" "$@" > "$work/build-$name.log" 2>&1
    end=$(date +%s)
    bytes=$(du -sb "$target" | cut -f1)
    units=$(grep -c '^ *Compiling ' "$work/build-$name.log" || true)
    echo "$name $((end - start)) $bytes $units" >> "$work/summary.txt"
    rm -rf "$target"
}

: > "$work/summary.txt"
measure without-ballista --no-default-features
measure with-ballista

echo "jobs: $jobs; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{ wall[NR] = $2; size[NR] = $3
       printf "%-17s wall %5d s, target %6.0f MiB, %d crates compiled\n",
              $1, $2, $3 / 1048576, $4 }
     END { printf "Ballista adds     wall %5d s (%+.0f %%), target %+6.0f MiB\n",
                  wall[2] - wall[1], 100 * (wall[2] - wall[1]) / wall[1],
                  (size[2] - size[1]) / 1048576 }' "$work/summary.txt"
