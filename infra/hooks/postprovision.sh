#!/bin/sh
# azd postprovision hook: builds both trainer job images in the workspace's container registry (a cloud
# build: no local Docker needed), :cpu from src/Lepton.Trainer/Dockerfile and :gpu from Dockerfile.gpu,
# resolves the one the cluster needs (LEPTON_TRAINER_FLAVOR, from the Bicep parameter trainerIsGpu) from
# its tag to its digest, and pins the app to that digest: the app setting LEPTON_AZUREML_TRAINER_IMAGE
# becomes registry/lepton-trainer@sha256:..., and the azd environment keeps it (LEPTON_TRAINER_IMAGE, the
# Bicep parameter trainerImage) so a later `azd provision` writes the same value. The app derives the
# Azure ML environment version from the digest: a rebuilt image is a new environment version.
set -eu

login=$AZURE_CONTAINER_REGISTRY
registry=${login%%.*}
flavor=${LEPTON_TRAINER_FLAVOR:?the Bicep output LEPTON_TRAINER_FLAVOR (gpu or cpu) is missing}
root=$(cd "$(dirname "$0")/../.." && pwd)

for build in cpu:Dockerfile gpu:Dockerfile.gpu; do
  tag=${build%%:*}
  file=${build#*:}
  echo "postprovision: building lepton-trainer:$tag ($file) in $registry"
  az acr build --registry "$registry" --image "lepton-trainer:$tag" --file "$root/src/Lepton.Trainer/$file" "$root" --output none
done

digest=$(az acr repository show --name "$registry" --image "lepton-trainer:$flavor" --query digest -o tsv)
case $digest in
  sha256:*) ;;
  *) echo "postprovision: could not resolve lepton-trainer:$flavor to a digest (got '$digest')" >&2; exit 1 ;;
esac
image="$login/lepton-trainer@$digest"

azd env set LEPTON_TRAINER_IMAGE "$image"
az functionapp config appsettings set -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
  --settings "LEPTON_AZUREML_TRAINER_IMAGE=$image" --output none
echo "postprovision: training jobs run $image ($flavor)"
