#!/usr/bin/env bash
# Serving benchmark (not a test): the paper's CNN (trained here when the run folder has none), published to a fresh
# folder store, served by 'lepton serve' on 127.0.0.1, loaded with wrk from this same machine.
# Reports: raw in-process ONNX Runtime throughput, time from process start to the first answered
# prediction, requests/s and p50/p99 latency for Open Inference Protocol 'infer' (one image per
# request) at 1, 16 and 64 connections, PNG 'predict' at 64 connections, and the server's resident
# memory. Every request loop is bounded in time (10 s a run).
#
#   bench/serve.sh [run folder, default runs/cnn]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
run=${1:-runs/cnn}
data=${LEPTON_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
duration=${BENCH_SECONDS:-10}
port=${BENCH_PORT:-18080}

log() { printf 'serve.sh: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
if [ ! -f "$run/model.onnx" ]; then
  log "no trained model in $run"
  train_cnn "$run" "$data"
fi

dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
lepton="dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

$lepton bench-onnx "$run/model.onnx" --data "$data" --out "$work"
$lepton models publish --store "$work/store" --name fashion --run "$run" >&2

start=$(date +%s%N)
$lepton serve --store "$work/store" --port "$port" >"$work/serve.log" 2>&1 &
server=$!
until curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "@$work/infer.json" \
    "http://127.0.0.1:$port/v2/models/fashion/infer"; do
  sleep 0.005
done
first=$(( ($(date +%s%N) - start) / 1000000 ))
echo "first answered prediction: ${first} ms after process start"

load() { # connections, path, body file, content type
  local c=$1 threads=$(( $1 < 2 ? 1 : 2 ))
  BODY_FILE=$3 CONTENT_TYPE=$4 wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s bench/post.lua "http://127.0.0.1:$port$2" >"$work/wrk.txt"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  p50=$(awk '$1=="50%"{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx/{print $NF}' "$work/wrk.txt")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$5" "$c" "$rps" "$p50" "$p99" "${errors:-0}"
}

# Warm-up (not reported): JIT tiering and first allocations happen here, as in a server that has
# been up for a few seconds.
BODY_FILE="$work/infer.json" CONTENT_TYPE=application/json wrk -t2 -c16 -d5s -s bench/post.lua "http://127.0.0.1:$port/v2/models/fashion/infer" >/dev/null
BODY_FILE="$work/predict.png" CONTENT_TYPE=image/png wrk -t2 -c16 -d3s -s bench/post.lua "http://127.0.0.1:$port/api/models/fashion/predict" >/dev/null

echo "| route | connections | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for c in 1 16 64; do
  load "$c" /v2/models/fashion/infer "$work/infer.json" application/json "OIP infer (JSON, 1 image)"
done
load 64 /api/models/fashion/predict "$work/predict.png" image/png "predict (PNG 112x112)"
rss=$(awk '/VmRSS/{print $2}' "/proc/$(pgrep -f "lepton.dll serve --store $work/store" | head -n 1)/status")
echo "server resident memory after the runs: $((rss / 1024)) MB"
