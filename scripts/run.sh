#!/usr/bin/env bash
# The main job: train the paper's CNN on Fashion-MNIST with the Durable training pipeline (prepare,
# train with TorchSharp, export to ONNX, evaluate with ONNX Runtime, publish, promote), then serve it.
# Sets up what it needs on a fresh machine: the dataset and, where the host's libstdc++ is too old for
# TorchSharp, the Debian 13 userland scripts/torch-run.sh uses.
#
#   scripts/run.sh [pipeline options]     e.g. scripts/run.sh --arch cnn-bn --epochs 30
#
# Defaults: --name fashion --arch cnn --epochs 5 --min-accuracy 0.85, the store ./.lepton (LEPTON_STORE
# overrides), runs in ./.lepton-runs. Then 'lepton serve' on http://127.0.0.1:8080 until Ctrl-C
# (LEPTON_NO_SERVE=1 skips it).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
data=${LEPTON_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}

if [ ! -e "$data/train-images-idx3-ubyte.gz" ] && [ ! -e "$data/train-images-idx3-ubyte" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: Fashion-MNIST is not in $data: install the Debian package dataset-fashion-mnist (as root) or set LEPTON_FASHION_MNIST" >&2
    exit 1
  fi
  echo "run.sh: installing Fashion-MNIST (Debian package dataset-fashion-mnist)" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

echo "run.sh: building the trainer and the lepton CLI" >&2
dotnet build src/Lepton.Trainer -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build src/Lepton.Cli -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
lepton=(dotnet "$repo/src/Lepton.Cli/bin/Release/net10.0/lepton.dll")
# Prepare the TorchSharp userland now (once) rather than inside the first training job.
scripts/torch-run.sh true

"${lepton[@]}" pipeline run --name fashion --data "$data" --arch cnn --epochs 5 --min-accuracy 0.85 "$@"

if [ "${LEPTON_NO_SERVE:-}" != 1 ]; then
  echo "run.sh: serving on http://127.0.0.1:8080 (Ctrl-C stops): try" >&2
  echo "  curl -s http://127.0.0.1:8080/api/models" >&2
  exec "${lepton[@]}" serve
fi
