#!/bin/sh
# azd postdeploy hook: subscribes the blob-triggered functions to BlobCreated events: DatasetUploaded
# to the datasets container (training runs), BatchUploaded to the batch container (batch jobs). Flex Consumption runs blob triggers only with the Event Grid source, and the webhook
# needs the deployed app's blobs_extension system key, which the host creates only once it has started
# with the blob extension loaded: this waits for it (30 tries, 10 s apart) and fails if it never comes,
# since without the subscription uploads would never train. Event Grid validates the webhook when the
# subscription is created and gives up after a few seconds (a cold Flex instance can be slower): the
# creation is retried. The webhook's host is the app's own (AZURE_FUNCTION_APP_URL, a Bicep output), which
# need not be <app>.azurewebsites.net.
set -eu
. "$(dirname "$0")/common.sh"

app=${AZURE_FUNCTION_APP_NAME:?the Bicep output AZURE_FUNCTION_APP_NAME is missing: run azd provision}
group=${AZURE_RESOURCE_GROUP:?the Bicep output AZURE_RESOURCE_GROUP is missing: run azd provision}
topic=${AZURE_EVENTGRID_TOPIC:?the Bicep output AZURE_EVENTGRID_TOPIC is missing: run azd provision}
url=${AZURE_FUNCTION_APP_URL:?the Bicep output AZURE_FUNCTION_APP_URL is missing: run azd provision}
url=${url%/}
function=DatasetUploaded
attempts=${LEPTON_POSTDEPLOY_ATTEMPTS:-30}
subscribe_attempts=${LEPTON_EVENTGRID_ATTEMPTS:-5}

key=""
i=0
while [ $i -lt "$attempts" ]; do
  i=$((i + 1))
  if az functionapp function show -g "$group" -n "$app" --function-name "$function" --subscription "$subscription" --output none 2>"$err"; then
    if key=$(az functionapp keys list -g "$group" -n "$app" --subscription "$subscription" --query "systemKeys.blobs_extension" --output tsv 2>"$err") && [ -n "$key" ]; then
      break
    fi
    key=""
    say "$app has $function but no blobs_extension system key yet (attempt $i of $attempts)$(az_said)"
  else
    say "$app does not list $function yet (attempt $i of $attempts)$(az_said)"
  fi
  sleep "$delay"
done

if [ -z "$key" ]; then
  fail "no blobs_extension system key on $app after $attempts attempts$(az_said); the Event Grid subscriptions for uploads to 'datasets' and 'batch' were not made. Check that the app started (its log stream or Application Insights) and run 'azd hooks run postdeploy' again."
fi

# subscribe NAME FUNCTION CONTAINER [VALUE...]: BlobCreated in CONTAINER delivered to FUNCTION's webhook,
# except blobs whose subject contains one of the VALUEs.
subscribe() {
  endpoint="$url/runtime/webhooks/blobs?functionName=Host.Functions.$2&code=$key"
  name=$1 target=$2 container=$3
  shift 3
  if [ $# -gt 0 ]; then set -- --advanced-filter subject StringNotContains "$@"; fi
  n=0
  until az eventgrid system-topic event-subscription create \
    -g "$group" --system-topic-name "$topic" -n "$name" \
    --endpoint-type webhook --endpoint "$endpoint" \
    --included-event-types Microsoft.Storage.BlobCreated \
    --subject-begins-with "/blobServices/default/containers/$container/" \
    "$@" \
    --subscription "$subscription" --output none; do
    n=$((n + 1))
    [ $n -lt "$subscribe_attempts" ] ||
      fail "Event Grid refused the subscription $subscribe_attempts times ($name; az's errors above); run 'azd hooks run postdeploy' again"
    say "Event Grid could not create the subscription $name (attempt $n of $subscribe_attempts; the webhook's validation may have timed out on a cold instance): retrying in ${delay}s"
    sleep "$delay"
  done
  say "Event Grid delivers BlobCreated in '$container' to $target at $url"
}

subscribe datasets-blob-created "$function" datasets
# A batch job writes its results beside the uploads (batch/{jobId}/results/NNNNN.jsonl, summary.json):
# those are not jobs to start, so Event Grid does not deliver them (one wasted invocation per chunk).
subscribe batch-blob-created BatchUploaded batch /results/ /summary.json
