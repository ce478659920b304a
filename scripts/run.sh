#!/usr/bin/env bash
# The main job: train a model on Fashion-MNIST with TorchSharp, export it to ONNX, and evaluate the
# exported file with ONNX Runtime. Sets up what it needs on a fresh machine (the dataset, and where the
# host's libstdc++ is too old for TorchSharp, the Debian 13 userland scripts/torch-run.sh uses).
#
#   scripts/run.sh [trainer options]      e.g. scripts/run.sh --arch cnn-bn --epochs 15
#
# Defaults: --arch cnn --epochs 5 --data /usr/share/datasets/fashion-mnist --out runs/<arch>.
# Options given later win. See 'scripts/run.sh --help' for them all.
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

arch=cnn
prev=
for a in "$@"; do
  [ "$prev" = --arch ] && arch=$a
  prev=$a
done

echo "run.sh: building the trainer" >&2
dotnet build src/Lepton.Trainer -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec scripts/torch-run.sh dotnet src/Lepton.Trainer/bin/Release/net10.0/lepton-trainer.dll train \
  --arch "$arch" --epochs 5 --data "$data" --out "runs/$arch" "$@"
