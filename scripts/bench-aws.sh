#!/usr/bin/env bash
# AWS collection benchmarks (network: 127.0.0.1 only).
#
#   scripts/bench-aws.sh [stub] [--items N --latency-ms N --cap N --max-concurrency N]
#       annexa against the AWS Config stub: 10,000 items, 100 ms per call, at most 10 calls/s
#       per API. Prints time vs the stub's floor (Select pages / cap; target within 20%) and API
#       calls per resource (target at most 0.02).
#   scripts/bench-aws.sh moto
#       annexa, then Prowler if PROWLER (path to its executable) is set, against the same
#       seeded moto account: wall time, API calls and peak memory of each. API calls are the
#       query/JSON-protocol calls the launcher records (Action= or X-Amz-Target); REST calls
#       (S3) are not counted, so a tool that reads S3 directly makes more than its count.
#
# PROFILE=release builds the benchmark optimised (slow to build once; the figures then measure
# the collector, not the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/annexa-target}"
TOOLS="${ANNEXA_TEST_TOOLS:-$HOME/.cache/annexa-test-tools}"
PROFILE="${PROFILE:-debug}"
mode="stub"
if [ "${1:-}" = "moto" ] || [ "${1:-}" = "stub" ]; then mode="$1"; shift; fi

# BENCH_BIN: an already built benchmark binary (skips the build).
BIN="${BENCH_BIN:-}"
if [ -z "$BIN" ]; then
  build_flags=(--quiet --no-default-features --features aws --example bench_aws)
  [ "$PROFILE" = "release" ] && build_flags+=(--release)
  cargo build "${build_flags[@]}"
  BIN="$CARGO_TARGET_DIR/$PROFILE/examples/bench_aws"
fi

if [ "$mode" = "stub" ]; then
  exec /usr/bin/time -f "peak memory %M KB, cpu user %U s sys %S s" "$BIN" "$@"
fi

PY="$TOOLS/venv/bin/python"
[ -x "$PY" ] || { echo "moto is not installed: run scripts/test-env.sh" >&2; exit 2; }
out=$(mktemp)
coproc MOTO { exec "$PY" fixtures/moto/launch.py --port 0; }
trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -f "$out"' EXIT
read -r line <&"${MOTO[0]}"
URL="http://127.0.0.1:${line#PORT=}"
"$PY" fixtures/moto/seed.py "$URL" >/dev/null
actions() { "$PY" -c "import json,sys,urllib.request as u; print(len(json.load(u.urlopen(sys.argv[1]+'/annexa/actions'))))" "$URL"; }
reset() { "$PY" -c "import sys,urllib.request as u; u.urlopen(u.Request(sys.argv[1]+'/annexa/actions', method='POST'))" "$URL"; }

reset
echo "== annexa"
/usr/bin/time -f "annexa: wall %e s, peak memory %M KB" "$BIN" --endpoint "$URL"
echo "annexa: $(actions) API calls"

if [ -n "${PROWLER:-}" ]; then
  reset
  echo "== prowler"
  set +e
  AWS_ENDPOINT_URL="$URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
    /usr/bin/time -f "prowler: wall %e s, peak memory %M KB" \
    "$PROWLER" aws --region us-east-1 --output-formats json-ocsf --output-directory "${PROWLER_OUT:-/tmp/prowler-out}" --no-banner >"$out" 2>&1
  echo "prowler exit $?"
  set -e
  tail -n 3 "$out"
  echo "prowler: $(actions) API calls"
else
  echo "(set PROWLER=/path/to/prowler to run Prowler on the same account)"
fi
