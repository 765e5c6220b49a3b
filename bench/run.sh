#!/usr/bin/env bash
# Reproduces every benchmark figure of Tracklane and writes bench/RESULTS.md.
#
#   bash bench/run.sh
#
# Needs Go, PostgreSQL at 127.0.0.1:5432 (user postgres, trust; or set
# BENCH_DATABASE_URL) and nothing else; everything runs over loopback, and
# every load is bounded in time. Knobs (environment):
#   CLICK_SECONDS        measured seconds per click phase (default 10)
#   CLICK_CONNS          concurrent connections (default 256)
#   SYNC_EVENTS          backlog for the 2023-10-16 shape (default 10000)
#   SYNC_NEW_EVENTS      backlog for the newer shape (default 2000: calls
#                        scale with customers, so per-100 figures hold)
#   PAYOUT_AFFILIATES    affiliates for the payout benchmark (default 10000)
#   PAYOUT_CONVERSIONS   approved conversions for it (default 200000)
#   DATAGEN_FULL=1       load the full dashboard dataset (10M clicks, 10k affiliates, 200k
#                        conversions; several minutes) instead of 1M / 20k
# Outputs (profiles, JSON, logs) go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/bench/out"
rm -rf "$OUT"
mkdir -p "$OUT"
start=$(date +%s)
# profile_top BIN PROFILE: the top functions by own time, then by cumulative time.
profile_top() {
  go tool pprof -top -nodecount=25 "$1" "$2" 2>/dev/null | sed -n '/flat%/,$p' || true
  echo
  go tool pprof -top -cum -nodecount=40 "$1" "$2" 2>/dev/null | sed -n '/flat%/,$p' || true
}
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

CLICK_SECONDS=${CLICK_SECONDS:-10}
CLICK_CONNS=${CLICK_CONNS:-256}
SYNC_EVENTS=${SYNC_EVENTS:-10000}
SYNC_NEW_EVENTS=${SYNC_NEW_EVENTS:-2000}
if [ "${DATAGEN_FULL:-0}" = 1 ]; then
  DG_ARGS=(-db tracklane_bench_dash -clicks 10000000 -conversions 200000 -affiliates 10000)
else
  DG_ARGS=(-db tracklane_bench_dash_1m -clicks 1000000 -conversions 20000)
fi

step "build"
go build -o "$OUT/tracklane" ./server
for cmd in clickbench syncbench datagen dashbench payoutbench report; do
  go build -o "$OUT/$cmd" "./bench/$cmd"
done
{
  echo "$(go version | cut -d' ' -f3-); $(psql --version 2>/dev/null | head -1 || true);"
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
} > "$OUT/env.txt"

step "clicks: real server, no-op baseline, click, redirect, reported conversions, SIGKILL, profile"
"$OUT/clickbench" -bin "$OUT/tracklane" -conns "$CLICK_CONNS" -duration "${CLICK_SECONDS}s" \
  -phases noop,click,redirect,conversion,clickconv,noop2,kill \
  -out "$OUT/click.json" -profile "$OUT/click.pprof" > /dev/null
profile_top "$OUT/clickbench" "$OUT/click.pprof" > "$OUT/click-profile.txt"

step "stripe sync: ${SYNC_EVENTS} events (2023-10-16), ${SYNC_NEW_EVENTS} (newer shape)"
"$OUT/syncbench" -events "$SYNC_EVENTS" -new-events "$SYNC_NEW_EVENTS" \
  -out "$OUT/sync.json" -cpuprofile "$OUT/sync.pprof" > /dev/null
profile_top "$OUT/syncbench" "$OUT/sync.pprof" > "$OUT/sync-profile.txt"

step "payouts: ${PAYOUT_AFFILIATES:-10000} affiliates, ${PAYOUT_CONVERSIONS:-200000} conversions, clicks in the same run"
"$OUT/payoutbench" -bin "$OUT/tracklane" -affiliates "${PAYOUT_AFFILIATES:-10000}" -conversions "${PAYOUT_CONVERSIONS:-200000}" \
  -out "$OUT/payout.json" > /dev/null

step "go benchmarks (hot paths)"
go test -run '^$' -bench . -benchmem -benchtime=1s -count=1 \
  ./server/tracking ./server/store ./server/conversion 2>&1 | grep -E '^(Benchmark|ok|FAIL|pkg:|---)' > "$OUT/gobench.txt"

step "dashboard dataset: datagen ${DG_ARGS[*]}"
"$OUT/datagen" "${DG_ARGS[@]}" -out "$OUT/datagen.json" > /dev/null
# A freshly copied table has no visibility map yet: index-only scans would
# read the heap until autovacuum comes by. Measure the pages as a running
# system has them.
psql "postgres://postgres@127.0.0.1:5432/${DG_ARGS[1]}?sslmode=disable" -qc "VACUUM ANALYZE" >/dev/null

step "dashboard pages on that dataset"
DG_DB=${DG_ARGS[1]}
"$OUT/dashbench" -bin "$OUT/tracklane" -database-url "postgres://postgres@127.0.0.1:5432/${DG_DB}?sslmode=disable" \
  -n 20 -out "$OUT/dash.json" 2>/dev/null | sed -n '1,/^times in ms/p' > "$OUT/dash.txt"

step "report"
"$OUT/report" -dir "$OUT" -o bench/RESULTS.md
printf '\nDone in %ss: bench/RESULTS.md\n' "$(( $(date +%s) - start ))"
