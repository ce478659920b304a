#!/usr/bin/env bash
# Side-by-side serving benchmark (not a test): 'lepton serve' against a plain Node.js server on
# onnxruntime-node (bench/peer/server.js), both serving the paper's CNN (trained here when the run folder
# has none) on 127.0.0.1, loaded by the same wrk script from this same machine. The servers take turns:
# every row (OIP v2 infer of one image as JSON, and PNG predict, at 1, 16 and 64 connections) is measured
# on one server then the other, the order flipping each round, so both see the same background load.
# Prints requests/s of each server per round, the ratio lepton/peer per row (from the sums over the
# rounds) with the lowest and highest per-round ratio, and each server's resident memory after the runs.
#
#   bench/peer.sh [run folder, default runs/cnn]
#   BENCH_SECONDS (default 5) a figure, BENCH_ROUNDS (default 3), BENCH_ROWS (default every row; e.g. "infer 1,predict 1")
#   Lepton's settings apply to its server as usual (e.g. Lepton__Inference__IntraOpThreads=1).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
run=${1:-runs/cnn}
data=${LEPTON_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
duration=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
lepton_port=${BENCH_PORT:-18080}
peer_port=$((lepton_port + 1))

log() { printf 'peer.sh: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing Node.js and npm (for the peer server)"
  apt_install nodejs npm
fi

# The peer's packages, installed once into the cache (beside, then renamed into place).
ort_version=1.30.0
pngjs_version=7.0.0
peer_modules="$cache/peer-onnxruntime-node-$ort_version-pngjs-$pngjs_version"
if [ ! -d "$peer_modules/node_modules/onnxruntime-node" ]; then
  log "installing onnxruntime-node $ort_version and pngjs $pngjs_version into $peer_modules"
  staging="$peer_modules.partial.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  npm install --prefix "$staging" --no-audit --no-fund --loglevel=error "onnxruntime-node@$ort_version" "pngjs@$pngjs_version" >/dev/null
  rm -rf "$peer_modules"
  mv "$staging" "$peer_modules"
fi

if [ ! -f "$run/model.onnx" ]; then
  log "no trained model in $run"
  train_cnn "$run" "$data"
fi

dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
lepton="dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
work=$(mktemp -d)
lepton_pid=
peer_pid=
trap 'kill $lepton_pid $peer_pid 2>/dev/null || true; rm -rf "$work"' EXIT

# Request bodies (infer.json: the first test image as UINT8; predict.png: it as a 112x112 photo).
$lepton bench-onnx "$run/model.onnx" --data "$data" --out "$work" --seconds 3 >"$work/bench-onnx.txt"
$lepton models publish --store "$work/store" --name fashion --run "$run" >/dev/null 2>&1
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(json.dumps(m["labels"]))' "$run/metrics.json" >"$work/labels.json" 2>/dev/null || echo '[]' >"$work/labels.json"

$lepton serve --store "$work/store" --port "$lepton_port" >"$work/lepton.log" 2>&1 &
lepton_pid=$!
NODE_PATH="$peer_modules/node_modules" node bench/peer/server.js "$run/model.onnx" "$peer_port" "$work/labels.json" >"$work/peer.log" 2>&1 &
peer_pid=$!
for port in "$lepton_port" "$peer_port"; do
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "@$work/infer.json" \
      "http://127.0.0.1:$port/v2/models/fashion/infer" && break
    sleep 0.05
  done
  curl -sf -o /dev/null -X POST -H 'Content-Type: image/png' --data-binary "@$work/predict.png" \
    "http://127.0.0.1:$port/api/models/fashion/predict" || { cat "$work"/*.log >&2; log "the server on port $port does not answer"; exit 1; }
done

# rps CONNECTIONS PORT PATH BODY CONTENT-TYPE SECONDS: requests/s (non-2xx answers fail the run; body -: a GET).
rps() {
  local c=$1 threads=$(( $1 < 2 ? 1 : 2 ))
  if [ "$4" = - ]; then
    wrk -t"$threads" -c"$c" -d"$6s" "http://127.0.0.1:$2$3" >"$work/wrk.txt"
  else
    BODY_FILE=$4 CONTENT_TYPE=$5 wrk -t"$threads" -c"$c" -d"$6s" -s bench/post.lua "http://127.0.0.1:$2$3" >"$work/wrk.txt"
  fi
  if grep -q 'Non-2xx' "$work/wrk.txt"; then
    cat "$work/wrk.txt" >&2
    log "non-2xx answers from port $2"
    exit 1
  fi
  awk '/Requests\/sec/{print $2}' "$work/wrk.txt"
}

rows=("infer 1" "infer 16" "infer 64" "predict 1" "predict 16" "predict 64")
if [ -n "${BENCH_ROWS:-}" ]; then IFS=, read -r -a rows <<<"$BENCH_ROWS"; fi  # e.g. BENCH_ROWS="infer 1,predict 1"
row_args() { # ROW -> connections path body content-type
  set -- $1
  if [ "$1" = infer ]; then
    echo "$2 /v2/models/fashion/infer $work/infer.json application/json"
  else
    echo "$2 /api/models/fashion/predict $work/predict.png image/png"
  fi
}

# Warm-up (not reported): JIT tiering, first allocations, V8's optimizer.
for port in "$lepton_port" "$peer_port"; do
  rps 16 "$port" /v2/models/fashion/infer "$work/infer.json" application/json 4 >/dev/null
  rps 16 "$port" /api/models/fashion/predict "$work/predict.png" image/png 3 >/dev/null
  rps 1 "$port" /v2/models/fashion/infer "$work/infer.json" application/json 2 >/dev/null
done

declare -A lepton_sum peer_sum ratio_min ratio_max
echo "| round | row | lepton req/s | peer req/s | ratio |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for row in "${rows[@]}"; do
    read -r c path body type <<<"$(row_args "$row")"
    if [ $((round % 2)) -eq 1 ]; then
      l=$(rps "$c" "$lepton_port" "$path" "$body" "$type" "$duration")
      p=$(rps "$c" "$peer_port" "$path" "$body" "$type" "$duration")
    else
      p=$(rps "$c" "$peer_port" "$path" "$body" "$type" "$duration")
      l=$(rps "$c" "$lepton_port" "$path" "$body" "$type" "$duration")
    fi
    r=$(awk -v l="$l" -v p="$p" 'BEGIN{printf "%.2f", l/p}')
    echo "| $round | $row | $l | $p | $r |"
    lepton_sum[$row]=$(awk -v a="${lepton_sum[$row]:-0}" -v b="$l" 'BEGIN{print a+b}')
    peer_sum[$row]=$(awk -v a="${peer_sum[$row]:-0}" -v b="$p" 'BEGIN{print a+b}')
    ratio_min[$row]=$(awk -v a="${ratio_min[$row]:-999}" -v b="$r" 'BEGIN{print (b<a)?b:a}')
    ratio_max[$row]=$(awk -v a="${ratio_max[$row]:-0}" -v b="$r" 'BEGIN{print (b>a)?b:a}')
  done
done

echo
echo "| row | connections | lepton req/s | peer req/s | ratio | per-round ratios |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  set -- $row
  name=$([ "$1" = infer ] && echo "OIP v2 infer (JSON, 1 image)" || echo "predict (PNG 112x112)")
  awk -v n="$name" -v c="$2" -v l="${lepton_sum[$row]}" -v p="${peer_sum[$row]}" -v r="$rounds" -v lo="${ratio_min[$row]}" -v hi="${ratio_max[$row]}" \
    'BEGIN{printf "| %s | %s | %.0f | %.0f | %.2fx | %s-%s |\n", n, c, l/r, p/r, l/p, lo, hi}'
done

# Where one connection's time goes: a request at 1 connection costs the HTTP round trip (client, loopback,
# server; measured by GET /v2/health/live, which both servers answer with a constant) plus the model's run
# (ONNX Runtime in process, one image at a time, from bench-onnx) plus the server's own work (parsing,
# writing). The first two no server can remove, so they bound the infer ratio at 1 connection.
live_l=0 live_p=0
for round in $(seq 1 "$rounds"); do
  live_l=$(awk -v a="$live_l" -v b="$(rps 1 "$lepton_port" /v2/health/live - - "$duration")" 'BEGIN{print a+b}')
  live_p=$(awk -v a="$live_p" -v b="$(rps 1 "$peer_port" /v2/health/live - - "$duration")" 'BEGIN{print a+b}')
done
ort=$(sed -n 's/.*in process: \([0-9.]*\) images\/s one at a time.*/\1/p' "$work/bench-onnx.txt")
echo
echo "one connection, in microseconds a request (from requests/s over the rounds):"
awk -v ll="$live_l" -v lp="$live_p" -v r="$rounds" -v ort="$ort" -v il="${lepton_sum[infer 1]}" -v ip="${peer_sum[infer 1]}" 'BEGIN{
  printf "| | lepton serve | peer |\n|---|---|---|\n";
  printf "| GET /v2/health/live (HTTP round trip, no model) | %.0f | %.0f |\n", 1e6*r/ll, 1e6*r/lp;
  printf "| OIP v2 infer, 1 image | %.0f | %.0f |\n", 1e6*r/il, 1e6*r/ip;
  printf "| ONNX Runtime run in process (bench-onnx, one image at a time) | %.0f | |\n", 1e6/ort;
  printf "| the server'"'"'s own work (infer less round trip less run) | %.0f | %.0f |\n", 1e6*r/il - 1e6*r/ll - 1e6/ort, 1e6*r/ip - 1e6*r/lp - 1e6/ort;
  printf "\nbound on the infer ratio at 1 connection with no work of our own: peer infer / (our round trip + the run) = %.2fx\n", (1e6*r/ip) / (1e6*r/ll + 1e6/ort) }'

rss() { awk '/VmRSS/{printf "%d", $2/1024}' "/proc/$1/status"; }
echo
echo "resident memory after the runs: lepton serve $(rss "$lepton_pid") MB, peer $(rss "$peer_pid") MB"
