#!/bin/sh
# azd postprovision hook: builds the trainer's job image in the workspace's container registry
# (a cloud build: no local Docker needed) so Azure ML command jobs can run it.
set -eu

registry=${AZURE_CONTAINER_REGISTRY%%.*}
root=$(cd "$(dirname "$0")/../.." && pwd)
echo "postprovision: building lepton-trainer:latest in $registry"
az acr build --registry "$registry" --image lepton-trainer:latest --file "$root/src/Lepton.Trainer/Dockerfile" "$root" --output none
