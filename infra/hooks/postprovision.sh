#!/bin/sh
# azd postprovision hook: builds the trainer job image the cluster needs (LEPTON_TRAINER_FLAVOR, from the
# Bicep parameter trainerIsGpu: :cpu from src/Lepton.Trainer/Dockerfile, :gpu from Dockerfile.gpu) in the
# workspace's container registry (a cloud build: no local Docker), tagged with a content hash of its
# inputs, and only if the registry does not have that tag yet: an unchanged trainer is not rebuilt. Then
# it pins the app to the image's digest: the app setting LEPTON_AZUREML_TRAINER_IMAGE becomes
# registry/lepton-trainer@sha256:..., and the azd environment keeps it (LEPTON_TRAINER_IMAGE, the Bicep
# parameter trainerImage) so a later `azd provision` writes the same value. The app derives the Azure ML
# environment version from the digest: a rebuilt image is a new environment version.
set -eu
. "$(dirname "$0")/common.sh"

login=${AZURE_CONTAINER_REGISTRY:?the Bicep output AZURE_CONTAINER_REGISTRY is missing: run azd provision}
registry=${login%%.*}
flavor=${LEPTON_TRAINER_FLAVOR:?the Bicep output LEPTON_TRAINER_FLAVOR (gpu or cpu) is missing}
case $flavor in
  cpu) dockerfile=Dockerfile ;;
  gpu) dockerfile=Dockerfile.gpu ;;
  *) fail "LEPTON_TRAINER_FLAVOR is '$flavor', not cpu or gpu" ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)

# The image's inputs: exactly what the Dockerfiles COPY into the build stage (a test keeps them equal), less
# what .dockerignore leaves out. Their hash: sha256 of the sorted "sha256  path" lines of every file.
inputs="nuget.config Directory.Build.props Directory.Packages.props src/Lepton.Core src/Lepton.Inference src/Lepton.Training src/Lepton.Trainer"
sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
# shellcheck disable=SC2086 # $inputs is a list of paths without blanks
hash=$(cd "$root" && find $inputs -type f ! -path '*/bin/*' ! -path '*/obj/*' ! -path '*/TestResults/*' |
  LC_ALL=C sort | while IFS= read -r file; do sha256 "$file"; done | sha256 | cut -c 1-16)
image="lepton-trainer:$flavor-$hash"

if digest=$(az acr repository show --name "$registry" --image "$image" --subscription "$subscription" --query digest --output tsv 2>"$err") && [ -n "$digest" ]; then
  say "$registry has $image already (the trainer's inputs have not changed): not rebuilding"
else
  say "$registry has no $image yet$(az_said): building it from src/Lepton.Trainer/$dockerfile"
  az acr build --registry "$registry" --image "$image" --image "lepton-trainer:$flavor" \
    --file "$root/src/Lepton.Trainer/$dockerfile" --subscription "$subscription" --output none "$root"
  digest=$(az acr repository show --name "$registry" --image "$image" --subscription "$subscription" --query digest --output tsv)
fi
case $digest in
  sha256:*) ;;
  *) fail "could not resolve $image to a digest (got '$digest')" ;;
esac
pinned="$login/lepton-trainer@$digest"

azd env set LEPTON_TRAINER_IMAGE "$pinned"
az functionapp config appsettings set -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
  --settings "LEPTON_AZUREML_TRAINER_IMAGE=$pinned" --subscription "$subscription" --output none
say "training jobs run $pinned ($image)"
