#!/usr/bin/env bash
# Batch scoring benchmark (not a test): the 10,000 Fashion-MNIST test images as 28x28 PNG files scored by
# 'lepton batch score' (the batch orchestration on the in-process engine, the CLI's defaults: chunks of
# 1,024 read in place, as many at once as cores), beside the same model served by 'lepton serve' and driven
# with PNG 'predict' requests at 16 connections by wrk. The batch is timed from process start to the results
# file, and again on 10 of the images: the difference is the time of the other 9,990 (the fixed cost, i.e.
# process and engine start, model load, merge, left out). Then the batch is interrupted (kill -9 once some
# chunks are scored) and run again: every image must be in the results exactly once.
#
#   bench/batch.sh [run folder, default runs/cnn]     (trains the CNN there when it has no model.onnx)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
run=${1:-runs/cnn}
data=${LEPTON_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
port=${BENCH_PORT:-18090}
log() { printf 'batch.sh: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
[ -f "$run/model.onnx" ] || train_cnn "$run" "$data"

dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
lepton="dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
server=

# The test images as PNG files (8-bit gray), written with the standard library alone.
python3 - "$data" "$work/images" <<'PY'
import gzip, os, struct, sys, zlib
data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
path = os.path.join(data, "t10k-images-idx3-ubyte.gz")
raw = gzip.open(path).read() if os.path.exists(path) else open(path[:-3], "rb").read()
count, rows, cols = struct.unpack(">III", raw[4:16])
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
for i in range(count):
    pixels = raw[16 + i * rows * cols:16 + (i + 1) * rows * cols]
    scanlines = b"".join(b"\x00" + pixels[r * cols:(r + 1) * cols] for r in range(rows))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(scanlines)) + chunk(b"IEND", b"")
    open(os.path.join(out, f"{i:05d}.png"), "wb").write(png)
PY
images=$(find "$work/images" -name '*.png' | wc -l)
$lepton models publish --store "$work/store" --name fashion --run "$run" >&2

start=$(date +%s%N)
$lepton batch score fashion "$work/images" --out "$work/results.jsonl" --store "$work/store" --work "$work/runs" >&2
ms=$(( ($(date +%s%N) - start) / 1000000 ))
lines=$(wc -l <"$work/results.jsonl")
echo "batch score: $images images in $ms ms (process start to results file): $(( images * 1000 / ms )) images/s; $lines lines"
mkdir -p "$work/ten" && cp "$work"/images/0000?.png "$work/ten/"
$lepton models publish --store "$work/store10" --name fashion --run "$run" >/dev/null
start=$(date +%s%N)
$lepton batch score fashion "$work/ten" --out "$work/ten.jsonl" --store "$work/store10" --work "$work/runs10" >/dev/null
fixed=$(( ($(date +%s%N) - start) / 1000000 ))
echo "batch score of 10 images: $fixed ms; the other $(( images - 10 )): $(( ms - fixed )) ms, $(( (images - 10) * 1000 / (ms - fixed) )) images/s; load $(cut -d' ' -f1 /proc/loadavg)"

$lepton serve --store "$work/store" --port "$port" >"$work/serve.log" 2>&1 &
server=$!
until curl -sf -o /dev/null -X POST -H 'Content-Type: image/png' --data-binary "@$work/images/00000.png" "http://127.0.0.1:$port/api/models/fashion/predict"; do sleep 0.05; done
BODY_FILE="$work/images/00000.png" CONTENT_TYPE=image/png wrk -t2 -c16 -d3s -s bench/post.lua "http://127.0.0.1:$port/api/models/fashion/predict" >/dev/null
BODY_FILE="$work/images/00000.png" CONTENT_TYPE=image/png wrk -t2 -c16 -d10s -s bench/post.lua "http://127.0.0.1:$port/api/models/fashion/predict" >"$work/wrk.txt"
rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
echo "lepton serve, PNG predict at 16 connections (wrk, 10 s): $rps requests/s; load $(cut -d' ' -f1 /proc/loadavg)"
kill "$server"; server=

# Interrupted: killed once a few chunks have results, then the same command again.
rm -f "$work/results.jsonl"
$lepton models publish --store "$work/store2" --name fashion --run "$run" >/dev/null
$lepton batch score fashion "$work/images" --out "$work/again.jsonl" --store "$work/store2" --work "$work/runs2" --chunk-size 100 >/dev/null 2>&1 &
pid=$!
until [ "$(find "$work/store2/batch" -path '*/results/*' 2>/dev/null | wc -l)" -ge 5 ]; do sleep 0.05; done
kill -9 "$pid" 2>/dev/null || true
before=$(find "$work/store2/batch" -path '*/results/*' | wc -l)
$lepton batch score fashion "$work/images" --out "$work/again.jsonl" --store "$work/store2" --work "$work/runs2" --chunk-size 100 >&2
unique=$(python3 -c "import json,sys; print(len({json.loads(l)['input'] for l in open(sys.argv[1])}))" "$work/again.jsonl")
echo "interrupted after $before of $(( (images + 99) / 100 )) chunks, run again: $(wc -l <"$work/again.jsonl") lines, $unique distinct inputs"
