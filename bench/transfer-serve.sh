#!/usr/bin/env bash
# Serving a transfer model (a benchmark, not a test): the ~64 MB ImageNet ResNet18 + head of a `transfer` run,
# raw in-process ONNX Runtime (`lepton bench-onnx`, one image a run and batches) beside `lepton serve` and the
# Functions app under the Functions host, both Release, both reading the same folder store, loaded with wrk
# from this machine at BENCH_CONNECTIONS (16) connections: PNG predict (the first test image, 2x) and OIP v2
# infer (the same image as [1,3,H,W] UINT8 JSON). Also the first answered prediction after each process
# starts (the model loaded on demand: read, SHA-256, ONNX Runtime session, warm-up).
#
#   bench/transfer-serve.sh <run folder with model.onnx> <prepared dataset folder (its test images)>
# Environment: BENCH_SECONDS (10 a measurement), BENCH_CONNECTIONS (16), BENCH_PORT (18490; +1 for the
# Functions host), BENCH_AZURITE (a connection string for the Functions host's own storage; default: start
# Azurite on 10000-10002 as scripts/lib.sh does), LEPTON_FUNCTIONS_HOST (default: ../shared's func-host),
# BENCH_WARMUP (3: seconds of load on each server before its figures), BENCH_APP_VALUES (more app settings
# for the Functions app, as JSON members: '"Lepton__Inference__IntraOpThreads": "1"').
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
run=$(cd "$1" && pwd)
data=$(cd "$2" && pwd)
duration=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-16}
port=${BENCH_PORT:-18490}
app_port=$((port + 1))
log() { printf 'transfer-serve.sh: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
host=$(functions_host)

work=$(mktemp -d)
pids=()
cleanup() {
  stop_processes "${pids[@]}"
  [ -z "${BENCH_AZURITE:-}" ] && stop_azurite
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >&2
dotnet build src/Lepton.Functions -c Release -nologo -v quiet -clp:ErrorsOnly >&2
lepton="dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
$lepton bench-onnx "$run/model.onnx" --data "$data" --out "$work" --seconds "$duration" --no-explain
$lepton models publish --store "$work/store" --name transfer --run "$run" >/dev/null
echo "model.onnx: $(( $(stat -c %s "$run/model.onnx") / 1000000 )) MB"

first() { # label, url: time from now until the first 200 of a PNG predict
  local start=$1 url=$2 label=$3
  until curl -sf -o /dev/null -X POST -H 'Content-Type: image/png' --data-binary "@$work/predict.png" "$url"; do sleep 0.02; done
  echo "$label: first answered prediction $(( ($(date +%s%N) - start) / 1000000 )) ms after process start"
}

load() { # label, url, body, content type
  BODY_FILE=$3 CONTENT_TYPE=$4 wrk -t2 -c"$connections" -d"${duration}s" --timeout 30s --latency -s bench/post.lua "$2" >"$work/wrk.txt"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$connections" "$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")" \
    "$(awk '$1=="50%"{print $2}' "$work/wrk.txt")" "$(awk '$1=="99%"{print $2}' "$work/wrk.txt")" "$(awk '/Non-2xx/{print $NF}' "$work/wrk.txt")"
}

# lepton serve
ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; } # user + system CPU of a process, in clock ticks
cpu_load() { # like load, then the host's and the worker's CPU per request (ms), and everything else's on the machine
  local h0 w0 a0 h1 w1 a1 n hz
  hz=$(getconf CLK_TCK)
  h0=$(ticks "$hostproc"); w0=$(ticks "$worker"); a0=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
  load "$@"
  h1=$(ticks "$hostproc"); w1=$(ticks "$worker"); a1=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
  n=$(awk -v r="$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")" -v d="$duration" 'BEGIN{print r*d}')
  awk -v h=$((h1 - h0)) -v w=$((w1 - w0)) -v a=$((a1 - a0)) -v n="$n" -v hz="$hz" 'BEGIN{printf "  CPU ms a request: host %.2f, worker %.2f, all else on the machine %.2f\n", 1000*h/hz/n, 1000*w/hz/n, 1000*(a-h-w)/hz/n}'
}
start=$(date +%s%N)
$lepton serve --store "$work/store" --port "$port" >"$work/serve.log" 2>&1 &
pids+=($!)
first "$start" "http://127.0.0.1:$port/api/models/transfer/predict" "lepton serve"
echo "answer: $(curl -sf -X POST -H 'Content-Type: image/png' --data-binary "@$work/predict.png" "http://127.0.0.1:$port/api/models/transfer/predict?top=1")"
BODY_FILE="$work/predict.png" CONTENT_TYPE=image/png wrk -t2 -c"$connections" -d"${BENCH_WARMUP:-3}s" --timeout 30s -s bench/post.lua "http://127.0.0.1:$port/api/models/transfer/predict" >/dev/null
echo "| host | connections | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
hostproc= worker=${pids[0]}
cpu_load "lepton serve: predict (PNG)" "http://127.0.0.1:$port/api/models/transfer/predict" "$work/predict.png" image/png
cpu_load "lepton serve: OIP infer (UINT8 JSON)" "http://127.0.0.1:$port/v2/models/transfer/infer" "$work/infer.json" application/json
echo "lepton serve resident memory: $(( $(awk '/VmRSS/{print $2}' "/proc/${pids[0]}/status") / 1024 )) MB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

# The Functions app under the Functions host
if [ -z "${BENCH_AZURITE:-}" ]; then
  install_azurite
  start_azurite "$work/azurite"
fi
cat >"$work/app.settings.json" <<JSON
{"IsEncrypted": false, "Values": {"AzureWebJobsStorage": "${BENCH_AZURITE:-UseDevelopmentStorage=true}", "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",
 "LEPTON_STORE": "$work/store", "TASKHUB_NAME": "bench$RANDOM", "LEPTON_COMPUTE_TARGET": "process", "LEPTON_GATE_MIN_ACCURACY": "0.5",
 "AzureWebJobs.DatasetUploaded.Disabled": "true"${BENCH_APP_VALUES:+, $BENCH_APP_VALUES}}}
JSON
start=$(date +%s%N)
"$host" --app src/Lepton.Functions/bin/Release/net10.0 --port "$app_port" --settings "$work/app.settings.json" --quiet >"$work/app.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 1200); do curl -fsS -o /dev/null "http://127.0.0.1:$app_port/v2/health/live" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "http://127.0.0.1:$app_port/v2/health/live" || { tail -40 "$work/app.log" >&2; log "the Functions app did not start"; exit 1; }
live=$(( ($(date +%s%N) - start) / 1000000 ))
loaded=$(date +%s%N)
first "$start" "http://127.0.0.1:$app_port/api/models/transfer/predict" "Functions host"
echo "Functions host: live after ${live} ms; the first prediction (model load included) $(( ($(date +%s%N) - loaded) / 1000000 )) ms after that"
BODY_FILE="$work/predict.png" CONTENT_TYPE=image/png wrk -t2 -c"$connections" -d"${BENCH_WARMUP:-3}s" --timeout 30s -s bench/post.lua "http://127.0.0.1:$app_port/api/models/transfer/predict" >/dev/null
descendants() { local c; for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }
worker=$(for p in $(descendants "${pids[0]}"); do grep -q Lepton.Functions.dll "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done | head -n 1 || true)
hostproc=$(for p in "${pids[0]}" $(descendants "${pids[0]}"); do grep -q WebJobs.Script.WebHost "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done | head -n 1 || true)
cpu_load "Functions host: predict (PNG)" "http://127.0.0.1:$app_port/api/models/transfer/predict" "$work/predict.png" image/png
cpu_load "Functions host: OIP infer (UINT8 JSON)" "http://127.0.0.1:$app_port/v2/models/transfer/infer" "$work/infer.json" application/json
[ -n "$worker" ] && echo "Functions worker resident memory: $(( $(awk '/VmRSS/{print $2}' "/proc/$worker/status") / 1024 )) MB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
