#!/bin/sh
# azd postdeploy hook: subscribes the blob-triggered function to BlobCreated events of the datasets
# container. Flex Consumption runs blob triggers only with the Event Grid source, and the webhook
# needs the deployed app's blobs_extension system key, so this runs after the code is deployed.
set -eu

app=$AZURE_FUNCTION_APP_NAME
group=$AZURE_RESOURCE_GROUP
topic=$AZURE_EVENTGRID_TOPIC
function=DatasetUploaded

if ! az functionapp function show -g "$group" -n "$app" --function-name "$function" >/dev/null 2>&1; then
  echo "postdeploy: $app has no function '$function' (the blob trigger of the training pipeline) yet: no Event Grid subscription made"
  exit 0
fi

key=$(az functionapp keys list -g "$group" -n "$app" --query "systemKeys.blobs_extension" -o tsv)
endpoint="https://$app.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.$function&code=$key"
az eventgrid system-topic event-subscription create \
  -g "$group" --system-topic-name "$topic" -n datasets-blob-created \
  --endpoint-type webhook --endpoint "$endpoint" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with /blobServices/default/containers/datasets/ \
  --output none
echo "postdeploy: Event Grid delivers BlobCreated in 'datasets' to $function"
