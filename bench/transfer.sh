#!/usr/bin/env bash
# Transfer learning benchmark (not a test): a real color image dataset, emoji in 9 Unicode categories
# (smileys-emotion, people-body, animals-nature, food-drink, travel-places, activities, objects, symbols,
# flags), trained on Google's Noto emoji (npm emoji-datasource-google 16.0.0, images Apache-2.0) and tested on
# Twitter's Twemoji (npm emoji-datasource-twitter 16.0.0, images CC-BY 4.0): 1,906 64x64 PNGs each, the same
# emoji drawn by another artist, so the test asks whether the category is learned rather than the picture.
# Each architecture runs 'lepton pipeline run' from the class folders to a published model (prepare, train,
# export, ONNX Runtime evaluation, publish); the transfer model is then served and asked about a Twemoji PNG.
#
#   bench/transfer.sh [archs, default "cnn resnet transfer"; also "finetune": transfer --fine-tune; "heads": other frozen heads and --augment]
# BENCH_SPLIT=same instead trains and tests on the Google set alone (a stratified sixth of the emoji held out:
# other emoji by the same artist).
# Environment: BENCH_THREADS (default: all cores), BENCH_RESNET_EPOCHS (10), BENCH_RESNET_SIZE (32), BENCH_PORT (18473, must be free),
# BENCH_TRANSFER_EPOCHS (30) and BENCH_TRANSFER_LR (0.003) for the frozen backbone's head, BENCH_FT_EPOCHS (4)
# and BENCH_FT_LR (0.0005) for --fine-tune (the last stage and the head, one Adam learning rate).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
archs=${1:-cnn resnet transfer}
port=${BENCH_PORT:-18473}
split=${BENCH_SPLIT:-cross}
log() { printf 'transfer.sh: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v npm >/dev/null 2>&1 || apt_install nodejs npm

# The two emoji packages, fetched once into the cache with npm.
emoji="$cache/emoji-datasource-16.0.0"
if [ ! -d "$emoji/twitter/package" ]; then
  staging="$emoji.partial.$$"
  rm -rf "$staging" && mkdir -p "$staging"
  for set in google twitter; do
    (cd "$staging" && npm pack --silent "emoji-datasource-$set@16.0.0" >/dev/null && mkdir "$set" && tar xzf "emoji-datasource-$set-16.0.0.tgz" -C "$set" && rm "emoji-datasource-$set-16.0.0.tgz")
  done
  rm -rf "$emoji" && mv "$staging" "$emoji"
fi

dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build src/Lepton.Trainer -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
lepton="dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
work=$(mktemp -d)
server=
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
node bench/emoji-folders.mjs "$emoji/google/package" "$emoji/twitter/package" "$work/emoji" "$split" >&2
# A fresh feature cache: the first transfer run featurizes every image, the second finds them cached.
export LEPTON_FEATURE_CACHE="$work/features"
threads=()
if [ -n "${BENCH_THREADS:-}" ]; then threads=(--threads "$BENCH_THREADS"); fi

run() { # name, then pipeline options
  local name=$1; shift
  local start ms
  start=$(date +%s%N)
  $lepton pipeline run --name "$name" --data "$work/emoji" --store "$work/store" --work "$work/runs" --plain "${threads[@]}" "$@" >"$work/$name.log" 2>&1 \
    || { cat "$work/$name.log" >&2; return 1; }
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  local accuracy train_s features
  accuracy=$(sed -n 's/^done: test accuracy \([0-9.]*\).*/\1/p' "$work/$name.log")
  train_s=$(find "$work/runs" -path "*$name-*" -name metrics.json -newermt "@$((start / 1000000000))" -exec sed -n 's/.*"trainSeconds": *\([0-9.]*\).*/\1/p' {} \; | tail -1)
  features=$(find "$work/runs" -path "*$name-*" -name trainer.log -newermt "@$((start / 1000000000))" -exec grep -h '^features:' {} \; | tr '\n' ';' || true)
  printf '%-24s test accuracy %s  training %6.1f s  data to published model %6.1f s  %s\n' "$name $*" "$accuracy" "${train_s:-0}" "$(awk "BEGIN{print $ms/1000}")" "$features"
}

for arch in $archs; do
  case $arch in
    cnn) run cnn-gray28 --arch cnn --channels 1 --image-size 28 --epochs 15 ;;
    resnet) run "resnet-color${BENCH_RESNET_SIZE:-32}" --arch resnet --image-size "${BENCH_RESNET_SIZE:-32}" --epochs "${BENCH_RESNET_EPOCHS:-10}" --lr 0.003 ;;
    transfer)
      run transfer-color64 --arch transfer --epochs "${BENCH_TRANSFER_EPOCHS:-30}" --lr "${BENCH_TRANSFER_LR:-0.003}"
      run transfer-cached --arch transfer --epochs "${BENCH_TRANSFER_EPOCHS:-30}" --lr "${BENCH_TRANSFER_LR:-0.003}"
      ;;
    heads) # other heads on the frozen features (one featurization, then the cache), and the mirrored training images
      run transfer-e60-lr001 --arch transfer --epochs 60 --lr 0.001
      run transfer-e30-lr01 --arch transfer --epochs 30 --lr 0.01
      run transfer-flip --arch transfer --epochs 30 --lr 0.003 --augment
      ;;
    finetune) run transfer-finetune --arch transfer --fine-tune --epochs "${BENCH_FT_EPOCHS:-4}" --lr "${BENCH_FT_LR:-0.0005}" ;;
    *) log "unknown arch $arch"; exit 2 ;;
  esac
done

case " $archs " in *" transfer "* | *" finetune "*)
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "port $port is taken: set BENCH_PORT"; exit 1; fi
  $lepton serve --store "$work/store" --port "$port" >"$work/serve.log" 2>&1 &
  server=$!
  picture=$(find "$work/emoji" -path '*/animals-nature/*' -name '*.png' | sort | head -1) # a test image of the cross split
  for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/models" && break; sleep 0.1; done
  for served in transfer-color64 transfer-finetune; do
    if [ -d "$work/store/models/$served" ] || $lepton models show "$served" --store "$work/store" >/dev/null 2>&1; then
      echo "served $served, $(basename "$picture") (animals-nature): $(curl -sf -X POST -H 'Content-Type: image/png' --data-binary "@$picture" "http://127.0.0.1:$port/api/models/$served/predict")"
    fi
  done
  kill "$server"; server=
  ;;
esac
