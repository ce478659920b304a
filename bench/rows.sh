#!/usr/bin/env bash
# Text and table benchmark (not a test): two real datasets from Debian's r-cran-modeldata (MIT):
# Amazon Fine Foods reviews (text: great | other, 4,000 train / 1,000 test, the package's split) and
# credit scoring (table: good | bad, 4,454 rows, 9 numbers, 4 categories, missing values; a stratified
# sixth as test), written by bench/rows/make-datasets.sh. Each Lepton family is trained, published and
# evaluated by `lepton pipeline run` (ONNX Runtime on the test split); scikit-learn (Debian's
# python3-sklearn) is the peer on the same files (bench/rows/sklearn-peer.py). Then `lepton serve`
# answers single requests (wrk, 1 connection, 10 s) to predict with one review and with one row: p50/p99.
#
#   bench/rows.sh [families...]      default: text-bow text-gru text-lstm tabular-mlp (tabular-gbdt on request)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
families=("$@")
[ ${#families[@]} -gt 0 ] || families=(text-bow text-gru text-lstm tabular-mlp)
duration=${BENCH_SECONDS:-10}
port=${BENCH_PORT:-18090}
data=${BENCH_ROWS_DATA:-/var/cache/lepton/bench-rows}

log() { printf 'rows.sh: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
dpkg -s python3-sklearn >/dev/null 2>&1 || apt_install python3-sklearn
bash bench/rows/make-datasets.sh "$data" >&2

dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build src/Lepton.Trainer -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
lepton="dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT

echo "## scikit-learn on the same files"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/rows/sklearn-peer.py "$data"
echo
echo "## Lepton (lepton pipeline run: prepare, train on 2 cores, export, ONNX Runtime on the test split)"
echo "| dataset | family | settings | test accuracy | train time (s) | wall time of the run (s) |"
echo "| --- | --- | --- | ---: | ---: | ---: |"
for family in "${families[@]}"; do
  case $family in
    text-bow) set -- text --epochs 5 --lr 0.01 ;;  # 0.807 (docs/benchmarks.md)
    text-gru|text-lstm) set -- text --epochs 4 --lr 0.003 ;;
    tabular-mlp) set -- table --epochs 20 --lr 0.001 ;;
    tabular-gbdt) set -- table ;;
    *) log "unknown family $family"; exit 2 ;;
  esac
  dataset=$1; shift
  start=$(date +%s%N)
  $lepton pipeline run --name "$family" --data "$data/$dataset" --arch "$family" "$@" --plain \
    --store "$work/store" --work "$work/runs" >"$work/$family.log" 2>&1 || { cat "$work/$family.log" >&2; exit 1; }
  wall=$(( ($(date +%s%N) - start) / 1000000 ))
  metrics=$(ls -t "$work"/runs/runs/"$family"-*/metrics.json | head -1)
  /usr/bin/python3 - "$metrics" "$dataset" "$family" "$*" "$wall" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {m['test']['accuracy']:.4f} | {m['trainSeconds']:.1f} | {int(sys.argv[5]) / 1000:.1f} |")
PY
done

# Single-request latency on lepton serve (one connection: every request waits for the one before).
$lepton serve --store "$work/store" --port "$port" >"$work/serve.log" 2>&1 &
server=$!
printf '{"text": %s}' "$(/usr/bin/python3 -c 'import csv,json,sys; r=list(csv.reader(open(sys.argv[1], encoding="utf-8")))[1]; print(json.dumps(r[0]))' "$data/text/test.csv")" >"$work/text.json"
/usr/bin/python3 - "$data/table/test.csv" >"$work/row.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
header, row = rows[0], rows[1]
def value(v):
    try:
        return float(v)
    except ValueError:
        return v or None
print(json.dumps({"instances": [{h: value(v) for h, v in zip(header, row) if h != "label"}]}))
PY
echo
echo "## lepton serve, one request at a time (wrk -c1, ${duration} s after a 3 s warm-up)"
echo "| model | body | requests/s | p50 | p99 |"
echo "| --- | --- | ---: | ---: | ---: |"
for family in "${families[@]}"; do
  body=$work/text.json
  [ "$family" = tabular-mlp ] && body=$work/row.json
  until curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "@$body" "http://127.0.0.1:$port/api/models/$family/predict"; do
    sleep 0.2
  done
  BODY_FILE=$body CONTENT_TYPE=application/json wrk -t1 -c1 -d3s -s bench/post.lua "http://127.0.0.1:$port/api/models/$family/predict" >/dev/null
  BODY_FILE=$body CONTENT_TYPE=application/json wrk -t1 -c1 -d"${duration}s" --latency -s bench/post.lua "http://127.0.0.1:$port/api/models/$family/predict" >"$work/wrk.txt"
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  p50=$(awk '$1=="50%"{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.txt")
  printf '| %s | %s | %s | %s | %s |\n' "$family" "$(basename "$body")" "$rps" "$p50" "$p99"
done
