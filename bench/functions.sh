#!/usr/bin/env bash
# Serving under the Azure Functions host (a benchmark, not a test): the Release build of the Functions
# app (src/Lepton.Functions, as `azd deploy` ships it) and beside it the smallest HTTP function app
# (bench/functions-ceiling: the ceiling, what the host itself allows), both under the same host
# (func-host, or LEPTON_FUNCTIONS_HOST), storage on Azurite, loaded with wrk from this machine. The same
# load as bench/serve.sh: OIP v2 infer (JSON, one image) at 1, 16 and 64 connections, PNG predict at
# 64; the ceiling gets a POST of the same body at the same connections. Reports requests/s, p50/p99 and
# the ratio to the ceiling. Every request loop is bounded in time (BENCH_SECONDS, 10 s a run).
#
#   bench/functions.sh [run folder, default runs/cnn]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
run=${1:-runs/cnn}
data=${LEPTON_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
duration=${BENCH_SECONDS:-10}
app_port=${BENCH_PORT:-17071}
ceiling_port=$((app_port + 1))
log() { printf 'functions.sh: %s\n' "$*" >&2; }

# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
host=$(functions_host)
if [ ! -f "$run/model.onnx" ]; then
  log "no trained model in $run"
  train_cnn "$run" "$data"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  stop_processes "${pids[@]}"
  stop_azurite
  rm -rf "$work"
}
trap cleanup EXIT
install_azurite
start_azurite "$work/azurite"

log "building (Release): the Functions app, the ceiling app, the CLI"
dotnet build src/Lepton.Functions -c Release -nologo -v quiet -clp:ErrorsOnly >&2
dotnet build bench/functions-ceiling -c Release -nologo -v quiet -clp:ErrorsOnly >&2
dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >&2
lepton="dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
$lepton bench-onnx "$run/model.onnx" --data "$data" --out "$work" --seconds 1 >/dev/null
$lepton models publish --store "$work/store" --name fashion --run "$run" >/dev/null

cat >"$work/app.settings.json" <<JSON
{"IsEncrypted": false, "Values": {"AzureWebJobsStorage": "UseDevelopmentStorage=true", "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",
 "LEPTON_STORE": "$work/store", "TASKHUB_NAME": "bench$RANDOM", "LEPTON_COMPUTE_TARGET": "process", "LEPTON_GATE_MIN_ACCURACY": "0.85",
 "AzureWebJobs.DatasetUploaded.Disabled": "true", "AzureWebJobs.BatchUploaded.Disabled": "true"}}
JSON
cat >"$work/ceiling.settings.json" <<JSON
{"IsEncrypted": false, "Values": {"AzureWebJobsStorage": "UseDevelopmentStorage=true", "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated"}}
JSON
# shellcheck disable=SC2086
$host --app src/Lepton.Functions/bin/Release/net10.0 --port "$app_port" --settings "$work/app.settings.json" --quiet >"$work/app.log" 2>&1 &
pids+=($!)
# shellcheck disable=SC2086
$host --app bench/functions-ceiling/bin/Release/net10.0 --port "$ceiling_port" --settings "$work/ceiling.settings.json" --quiet >"$work/ceiling.log" 2>&1 &
pids+=($!)
for port in "$app_port" "$ceiling_port"; do
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/$([ "$port" = "$app_port" ] && echo v2/health/live || echo constant)" 2>/dev/null && break
    sleep 0.3
  done
done
curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "@$work/infer.json" "http://127.0.0.1:$app_port/v2/models/fashion/infer" \
  || { cat "$work/app.log" >&2; log "the app does not answer"; exit 1; }

# CPU time of a process (user + system, in clock ticks) from /proc: where each request's CPU goes,
# the host's proxy or the worker (the worker is the host's child process, measured apart).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
host_of() { pgrep -f "Microsoft.Azure.WebJobs.Script.WebHost.dll" | while read -r p; do tr '\0' '\n' <"/proc/$p/environ" | grep -q "AzureWebJobsScriptRoot=.*$1" && echo "$p"; done | head -n 1 || true; }
worker_of() { for c in $(ps -o pid= --ppid "$1"); do grep -q "$2" "/proc/$c/cmdline" 2>/dev/null && echo "$c"; done | head -n 1 || true; }
app_host=$(host_of src/Lepton.Functions/bin)
app_worker=$(worker_of "$app_host" Lepton.Functions.dll)
ceiling_host=$(host_of bench/functions-ceiling/bin)
ceiling_worker=$(worker_of "$ceiling_host" Lepton.Bench.Ceiling.dll)

load() { # label, port, path, body file (or - for GET), content type, connections
  local label=$1 port=$2 path=$3 body=$4 type=$5 c=$6 threads=$(( $6 < 2 ? 1 : 2 ))
  local h w
  if [ "$port" = "$app_port" ]; then h=$app_host w=$app_worker; else h=$ceiling_host w=$ceiling_worker; fi
  local h0 w0
  h0=$(ticks "$h") w0=$(ticks "$w")
  if [ "$body" = - ]; then
    wrk -t"$threads" -c"$c" -d"${duration}s" --latency "http://127.0.0.1:$port$path" >"$work/wrk.txt"
  else
    BODY_FILE=$body CONTENT_TYPE=$type wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s bench/post.lua "http://127.0.0.1:$port$path" >"$work/wrk.txt"
  fi
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  local p50 p99 errors
  p50=$(awk '$1=="50%"{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx/{print $NF}' "$work/wrk.txt")
  local requests hms wms
  requests=$(awk '/requests in/{print $1}' "$work/wrk.txt")
  hms=$(awk -v a="$(ticks "$h")" -v b="$h0" -v n="$requests" -v hz="$hz" 'BEGIN { printf "%.2f", 1000 * (a - b) / hz / n }')
  wms=$(awk -v a="$(ticks "$w")" -v b="$w0" -v n="$requests" -v hz="$hz" 'BEGIN { printf "%.2f", 1000 * (a - b) / hz / n }')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |' "$label" "$c" "$rps" "$p50" "$p99" "${errors:-0}" "$hms" "$wms"
}

# Warm-up (not reported): JIT tiering, first allocations, the model's first load.
BODY_FILE="$work/infer.json" CONTENT_TYPE=application/json wrk -t2 -c16 -d5s -s bench/post.lua "http://127.0.0.1:$app_port/v2/models/fashion/infer" >/dev/null
BODY_FILE="$work/predict.png" CONTENT_TYPE=image/png wrk -t2 -c16 -d3s -s bench/post.lua "http://127.0.0.1:$app_port/api/models/fashion/predict" >/dev/null
BODY_FILE="$work/infer.json" CONTENT_TYPE=application/json wrk -t2 -c16 -d5s -s bench/post.lua "http://127.0.0.1:$ceiling_port/sink" >/dev/null

echo "| route | connections | requests/s | p50 | p99 | non-2xx | host CPU ms/request | worker CPU ms/request | % of the ceiling |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in 1 16 64; do
  load "ceiling: GET constant" "$ceiling_port" /constant - - "$c"; echo " |"
  load "ceiling: POST the infer body" "$ceiling_port" /sink "$work/infer.json" application/json "$c"; echo " |"
  ceiling=$rps
  load "OIP infer (JSON, 1 image)" "$app_port" /v2/models/fashion/infer "$work/infer.json" application/json "$c"
  awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf " %.0f%% |\n", 100 * a / b }'
done
load "ceiling: POST the PNG body" "$ceiling_port" /sink "$work/predict.png" image/png 64; echo " |"
ceiling=$rps
load "predict (PNG 112x112)" "$app_port" /api/models/fashion/predict "$work/predict.png" image/png 64
awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf " %.0f%% |\n", 100 * a / b }'
for name in Microsoft.Azure.WebJobs.Script.WebHost.dll Lepton.Functions.dll; do
  pid=$(pgrep -f "$name" | head -n 1 || true)
  [ -n "$pid" ] && echo "$name resident memory: $(( $(awk '/VmRSS/{print $2}' "/proc/$pid/status") / 1024 )) MB"
done
