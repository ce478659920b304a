#!/usr/bin/env bash
# Sweep benchmark (not a test): 8 trials (4 learning rates x 2 batch sizes) of the CNN on a slice of
# Fashion-MNIST, as one 'lepton pipeline run --sweep' with at most 2 trials at once, beside the same 8
# trials as 8 'lepton pipeline run's one after another; then the sweep again with early termination
# (median stopping): the epochs it saved and whether it picked the same best trial. Each run has a fresh
# store and work folder (nothing is reused between them).
#
# Last, a crash: the sweep is killed (SIGKILL) once 3 trials have finished and run again; the trials
# finished before the crash are not trained again (their history.json says resumed from the last epoch).
#
#   bench/sweep.sh [train limit, default 2000] [test limit, default 500] [epochs, default 2] [arch, default cnn]
#   PARTS="compare early crash" (the default) picks what to run; SWEEP_THREADS=N gives the sweeps' trainers
#   --threads N (by default each of the 2 at once gets max(1, cores / 2)).
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
parts=${PARTS:-compare early crash}
has() { [[ " $parts " == *" $1 "* ]]; }

dotnet build src/Lepton.Trainer -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
# The trainer (TorchSharp) needs a new libstdc++: the CLI runs through torch-run, its trainers inherit it.
lepton() { scripts/torch-run.sh dotnet src/Lepton.Cli/bin/Release/net10.0/lepton.dll "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--data "$data" --arch "$arch" --epochs "$epochs" --train-limit "$train" --test-limit "$test" --plain)
swept=(${SWEEP_THREADS:+--threads "$SWEEP_THREADS"})
now() { date +%s%N; }
seconds() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e9 }'; }

sweep_ns=0; sequential_ns=0; early_ns=0
if has compare; then
log "sweep: ${#rates[@]} x ${#batches[@]} trials, $arch, $epochs epoch(s), $train train / $test test images, 2 at once"
start=$(now)
lepton pipeline run --name swept "${common[@]}" "${swept[@]}" --sweep "lr=$(IFS=,; echo "${rates[*]}")" --sweep "batch-size=$(IFS=,; echo "${batches[*]}")" \
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
fi

if has early; then
log "the sweep with early termination (median stopping)"
start=$(now)
lepton pipeline run --name stopped "${common[@]}" "${swept[@]}" --sweep "lr=$(IFS=,; echo "${rates[*]}")" --sweep "batch-size=$(IFS=,; echo "${batches[*]}")" \
  --max-concurrent 2 --early-termination --store "$work/early/store" --work "$work/early/work" >"$work/early.log" 2>&1 || { cat "$work/early.log"; exit 1; }
early_ns=$(( $(now) - start ))
sed -n '/^trial  settings/,/^best:/p' "$work/early.log" >&2
fi

# Epochs trained: the trials table's "epochs" column (done/total) of each sweep.
trained() { sed -n '/^trial  settings/,/^best:/p' "$1" | awk '$0 !~ /^(trial|best)/ { split($(NF-1), e, "/"); done += e[1]; total += e[2] } END { printf "%d of %d", done, total }'; }
best() { sed -n 's/^best: trial \([0-9]*\) (\(.*\)), run .*/trial \1 (\2)/p' "$1"; }
stopped=$( (has early && grep -c '^ *[0-9*]*  .* stopped ' "$work/early.log") || true)
if has crash; then
  log "the sweep killed once 3 trials have finished, then run again"
  args=(pipeline run --name crashed "${common[@]}" --sweep "lr=$(IFS=,; echo "${rates[*]}")" --sweep "batch-size=$(IFS=,; echo "${batches[*]}")" \
    --max-concurrent 2 --store "$work/crash/store" --work "$work/crash/work")
  lepton "${args[@]}" >"$work/crash1.log" 2>&1 &
  while [ "$(cat "$work"/crash/work/runs/*-t0?/status.json 2>/dev/null | grep -c '"state": "succeeded"')" -lt 3 ]; do sleep 0.5; done
  # The CLI itself (its trainers stop with it: they watch its pid), found by this run's own work folder.
  kill -9 "$(pgrep -f "lepton.dll pipeline run --name crashed .*$work/crash/work" | head -1)"
  wait || true
  declare -A before
  for f in "$work"/crash/work/runs/*-t0?/status.json; do t=$(basename "$(dirname "$f")"); before[$t]=$(grep -c '"state": "succeeded"' "$f" || true); done
  start=$(now)
  lepton "${args[@]}" >"$work/crash2.log" 2>&1 || { cat "$work/crash2.log"; exit 1; }
  crash_ns=$(( $(now) - start ))
  printf '| trial | finished before the kill | epochs trained by the re-run |\n|---|---|---|\n'
  for d in "$work"/crash/work/runs/*-t0?; do
    t=$(basename "$d")
    python3 - "$d/history.json" "${t##*-}" "${before[$t]:-0}" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {'yes' if sys.argv[3] == '1' else 'no'} | {len(h['epochs']) - h['resumedFromEpoch']} |")
PY
  done
  printf 're-run after the kill: %s s; %s\n' "$(seconds $crash_ns)" "$(grep '^published\|^already' "$work/crash2.log")"
fi

has compare || has early || exit 0
# The threads each trial's trainer ran with (its job.json; max(1, cores / 2) unless --threads is given).
threads() { python3 -c "import json,sys; print(','.join(sorted({str(json.load(open(f)).get('threads')) for f in sys.argv[1:]})))" "$1"/runs/*-t0?/job.json; }
printf '| run | wall time (s) | epochs trained | threads per trainer | best trial | published test accuracy |\n|---|---|---|---|---|---|\n'
if has compare; then
  printf '| sweep, 8 trials, 2 at once | %s | %s | %s | %s | %s |\n' "$(seconds $sweep_ns)" "$(trained "$work/sweep.log")" "$(threads "$work/sweep/work")" "$(best "$work/sweep.log")" "$(sed -n 's/.*test accuracy \([0-9.]*\) (ONNX.*/\1/p' "$work/sweep.log")"
  printf '| 8 pipeline runs, one after another | %s | %d of %d | all cores | - | - |\n' "$(seconds $sequential_ns)" $(( ${#rates[@]} * ${#batches[@]} * epochs )) $(( ${#rates[@]} * ${#batches[@]} * epochs ))
fi
if has early; then
  printf '| sweep with early termination, 2 at once | %s | %s (%s trial(s) stopped) | %s | %s | %s |\n' "$(seconds $early_ns)" "$(trained "$work/early.log")" "$stopped" "$(threads "$work/early/work")" "$(best "$work/early.log")" "$(sed -n 's/.*test accuracy \([0-9.]*\) (ONNX.*/\1/p' "$work/early.log")"
fi
