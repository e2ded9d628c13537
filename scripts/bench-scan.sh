#!/usr/bin/env bash
# Benchmark: `annexa scan --inventory` on synthetic inventories of 10k and 100k resources (plain
# and zstd), release build, under /usr/bin/time -v. Prints wall time, resources/s and peak RSS
# for each file, and the 100k/10k peak-RSS ratio (the issue asks for <= 1.5, < 500 MB, < 10 s).
#
#   scripts/bench-scan.sh            # full scan (falls back to reading only if scan is not wired)
#   BENCH_MODE=read scripts/bench-scan.sh   # inventory reading + digest only (examples/read_inventory.rs)
#
# Data goes to target/bench/ (kept between runs; delete it to regenerate). Seeded: same bytes
# every time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
BENCH=target/bench
SEED="${BENCH_SEED:-7}"
MODE="${BENCH_MODE:-scan}"
mkdir -p "$BENCH"

echo "building (release, --no-default-features)..." >&2
cargo build --release --no-default-features --bin annexa --example gen_inventory --example read_inventory >&2
BIN="$CARGO_TARGET_DIR/release"

for n in 10000 100000; do
  for ext in jsonl jsonl.zst; do
    f="$BENCH/synthetic-$((n / 1000))k-seed$SEED.$ext"
    if [ ! -s "$f" ]; then
      "$BIN/examples/gen_inventory" --resources "$n" --seed "$SEED" -o "$f"
    fi
  done
done

if [ "$MODE" = scan ]; then
  probe="$BENCH/synthetic-10k-seed$SEED.jsonl"
  set +e
  "$BIN/annexa" scan --inventory "$probe" --output-dir "$BENCH/results" >/dev/null 2>"$BENCH/probe.err"
  rc=$?
  set -e
  # 0 clean, 1 findings, 3 incomplete: the scan ran. 2 (or anything else): not usable yet.
  if [ "$rc" != 0 ] && [ "$rc" != 1 ] && [ "$rc" != 3 ]; then
    echo "annexa scan --inventory is not usable yet (exit $rc: $(head -c 200 "$BENCH/probe.err")); measuring reading only" >&2
    MODE=read
  fi
fi

# measure FILE -> "wall_s cpu_s rss_kb" (cpu = user + system: on a shared machine wall time
# also counts the waits for a core)
measure() {
  local file=$1 out="$BENCH/time.out"
  local cmd
  if [ "$MODE" = scan ]; then
    # Default formats (console and results.json): the whole pipeline a user runs.
    cmd=("$BIN/annexa" scan --inventory "$file" --output-dir "$BENCH/results")
  else
    cmd=("$BIN/examples/read_inventory" "$file")
  fi
  set +e
  /usr/bin/time -v "${cmd[@]}" >"$BENCH/cmd.out" 2>"$out"
  local rc=$?
  set -e
  if [ "$rc" != 0 ] && [ "$rc" != 1 ] && [ "$rc" != 3 ]; then
    echo "command failed (exit $rc): ${cmd[*]}" >&2
    tail -5 "$out" >&2
    exit 1
  fi
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$out")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
  echo "$wall $cpu $rss"
}

echo
echo "mode: $MODE ($( [ "$MODE" = scan ] && echo 'annexa scan --inventory FILE --output-dir target/bench/results' || echo 'examples/read_inventory FILE' ))"
printf '%-36s %10s %8s %8s %12s %12s\n' file resources wall_s cpu_s resources/s peak_rss_MB
declare -A RSS
for ext in jsonl jsonl.zst; do
  for n in 10000 100000; do
    f="$BENCH/synthetic-$((n / 1000))k-seed$SEED.$ext"
    read -r wall cpu rss < <(measure "$f")
    RSS[$n.$ext]=$rss
    awk -v f="$(basename "$f")" -v n="$n" -v w="$wall" -v c="$cpu" -v r="$rss" \
      'BEGIN { printf "%-36s %10d %8.2f %8.2f %12.0f %12.1f\n", f, n, w, c, (w > 0 ? n / w : 0), r / 1024 }'
  done
done
for ext in jsonl jsonl.zst; do
  awk -v a="${RSS[100000.$ext]}" -v b="${RSS[10000.$ext]}" -v e="$ext" \
    'BEGIN { printf "peak RSS 100k/10k (%s): %.2f\n", e, a / b }'
done
ls -l "$BENCH"/synthetic-*-seed"$SEED".* | awk '{printf "%s %6.1f MB\n", $NF, $5 / 1e6}'
