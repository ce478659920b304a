#!/bin/sh
# azd postdeploy hook: subscribes the blob-triggered function to BlobCreated events of the datasets
# container. Flex Consumption runs blob triggers only with the Event Grid source, and the webhook
# needs the deployed app's blobs_extension system key, which the host creates only once it has started
# with the blob extension loaded: this waits for it (up to about 5 minutes) and fails if it never comes,
# since without the subscription uploads would never train.
set -eu

app=$AZURE_FUNCTION_APP_NAME
group=$AZURE_RESOURCE_GROUP
topic=$AZURE_EVENTGRID_TOPIC
function=DatasetUploaded
attempts=${LEPTON_POSTDEPLOY_ATTEMPTS:-30}
delay=10

key=""
i=0
while [ $i -lt "$attempts" ]; do
  i=$((i + 1))
  if az functionapp function show -g "$group" -n "$app" --function-name "$function" >/dev/null 2>&1; then
    key=$(az functionapp keys list -g "$group" -n "$app" --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)
    if [ -n "$key" ]; then
      break
    fi
    echo "postdeploy: $app has $function but no blobs_extension system key yet (attempt $i of $attempts)"
  else
    echo "postdeploy: $app does not list $function yet (attempt $i of $attempts)"
  fi
  sleep $delay
done

if [ -z "$key" ]; then
  echo "postdeploy: FAILED: no blobs_extension system key on $app after $attempts attempts; the Event Grid subscription" >&2
  echo "postdeploy: for uploads to 'datasets' was not made. Check that the app started (az functionapp log / Application" >&2
  echo "postdeploy: Insights) and run 'azd hooks run postdeploy' again." >&2
  exit 1
fi

endpoint="https://$app.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.$function&code=$key"
az eventgrid system-topic event-subscription create \
  -g "$group" --system-topic-name "$topic" -n datasets-blob-created \
  --endpoint-type webhook --endpoint "$endpoint" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with /blobServices/default/containers/datasets/ \
  --output none
echo "postdeploy: Event Grid delivers BlobCreated in 'datasets' to $function"
