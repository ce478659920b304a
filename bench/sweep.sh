#!/usr/bin/env bash
# Sweep benchmark (not a test): 8 trials (4 learning rates x 2 batch sizes) of the CNN on a slice of
# Fashion-MNIST, as one 'lepton pipeline run --sweep' with at most 2 trials at once, beside the same 8
# trials as 8 'lepton pipeline run's one after another; then the sweep again with early termination
# (median stopping): the epochs it saved and whether it picked the same best trial. Each run has a fresh
# store and work folder (nothing is reused between them).
#
#   bench/sweep.sh [train limit, default 2000] [test limit, default 500] [epochs, default 2] [arch, default cnn]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
train=${1:-2000}
test=${2:-500}
epochs=${3:-2}
arch=${4:-cnn}
data=${LEPTON_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
rates=(0.0003 0.001 0.003 0.01)
batches=(64 128)
log() { printf 'sweep.sh: %s\n' "$*" >&2; }

dotnet build src/Lepton.Trainer -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
# The trainer (TorchSharp) needs a new libstdc++: the CLI runs through torch-run, its trainers inherit it.
lepton() { scripts/torch-run.sh dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--data "$data" --arch "$arch" --epochs "$epochs" --train-limit "$train" --test-limit "$test" --plain)
now() { date +%s%N; }
seconds() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e9 }'; }

log "sweep: ${#rates[@]} x ${#batches[@]} trials, $arch, $epochs epoch(s), $train train / $test test images, 2 at once"
start=$(now)
lepton pipeline run --name swept "${common[@]}" --sweep "lr=$(IFS=,; echo "${rates[*]}")" --sweep "batch-size=$(IFS=,; echo "${batches[*]}")" \
  --max-concurrent 2 --store "$work/sweep/store" --work "$work/sweep/work" >"$work/sweep.log" 2>&1 || { cat "$work/sweep.log"; exit 1; }
sweep_ns=$(( $(now) - start ))
sed -n '/^trial  settings/,/^best:/p' "$work/sweep.log" >&2

log "the same 8 trials as 8 pipeline runs, one after another"
start=$(now)
for lr in "${rates[@]}"; do
  for batch in "${batches[@]}"; do
    lepton pipeline run --name "single" "${common[@]}" --lr "$lr" --batch-size "$batch" \
      --store "$work/single-$lr-$batch/store" --work "$work/single-$lr-$batch/work" >"$work/single.log" 2>&1 || { cat "$work/single.log"; exit 1; }
  done
done
sequential_ns=$(( $(now) - start ))

log "the sweep with early termination (median stopping)"
start=$(now)
lepton pipeline run --name stopped "${common[@]}" --sweep "lr=$(IFS=,; echo "${rates[*]}")" --sweep "batch-size=$(IFS=,; echo "${batches[*]}")" \
  --max-concurrent 2 --early-termination --store "$work/early/store" --work "$work/early/work" >"$work/early.log" 2>&1 || { cat "$work/early.log"; exit 1; }
early_ns=$(( $(now) - start ))
sed -n '/^trial  settings/,/^best:/p' "$work/early.log" >&2

# Epochs trained: the trials table's "epochs" column (done/total) of each sweep.
trained() { sed -n '/^trial  settings/,/^best:/p' "$1" | awk '$0 !~ /^(trial|best)/ { split($(NF-1), e, "/"); done += e[1]; total += e[2] } END { printf "%d of %d", done, total }'; }
best() { sed -n 's/^best: trial \([0-9]*\) (\(.*\)), run .*/trial \1 (\2)/p' "$1"; }
stopped=$(grep -c '^ *[0-9*]*  .* stopped ' "$work/early.log" || true)
printf '| run | wall time (s) | epochs trained | best trial | published test accuracy |\n|---|---|---|---|---|\n'
printf '| sweep, 8 trials, 2 at once | %s | %s | %s | %s |\n' "$(seconds $sweep_ns)" "$(trained "$work/sweep.log")" "$(best "$work/sweep.log")" "$(sed -n 's/.*test accuracy \([0-9.]*\) (ONNX.*/\1/p' "$work/sweep.log")"
printf '| 8 pipeline runs, one after another | %s | %d of %d | - | - |\n' "$(seconds $sequential_ns)" $(( ${#rates[@]} * ${#batches[@]} * epochs )) $(( ${#rates[@]} * ${#batches[@]} * epochs ))
printf '| sweep with early termination, 2 at once | %s | %s (%s trial(s) stopped) | %s | %s |\n' "$(seconds $early_ns)" "$(trained "$work/early.log")" "$stopped" "$(best "$work/early.log")" "$(sed -n 's/.*test accuracy \([0-9.]*\) (ONNX.*/\1/p' "$work/early.log")"
