# azd postdeploy hook, pwsh variant of postdeploy.sh (which says what it does and why): waits for the app's
# blobs_extension key, then subscribes DatasetUploaded to BlobCreated in 'datasets' and BatchUploaded to
# BlobCreated in 'batch' through Event Grid, retrying each creation, at the host the deployment reports
# (AZURE_FUNCTION_APP_URL).
. (Join-Path $PSScriptRoot 'common.ps1')

$app = Required $env:AZURE_FUNCTION_APP_NAME 'the Bicep output AZURE_FUNCTION_APP_NAME is missing: run azd provision'
$group = Required $env:AZURE_RESOURCE_GROUP 'the Bicep output AZURE_RESOURCE_GROUP is missing: run azd provision'
$topic = Required $env:AZURE_EVENTGRID_TOPIC 'the Bicep output AZURE_EVENTGRID_TOPIC is missing: run azd provision'
$url = (Required $env:AZURE_FUNCTION_APP_URL 'the Bicep output AZURE_FUNCTION_APP_URL is missing: run azd provision').TrimEnd('/')
$function = 'DatasetUploaded'
$attempts = if ($env:LEPTON_POSTDEPLOY_ATTEMPTS) { [int] $env:LEPTON_POSTDEPLOY_ATTEMPTS } else { 30 }
$subscribeAttempts = if ($env:LEPTON_EVENTGRID_ATTEMPTS) { [int] $env:LEPTON_EVENTGRID_ATTEMPTS } else { 5 }

$key = ''
for ($i = 1; $i -le $attempts; $i++) {
  az functionapp function show -g $group -n $app --function-name $function --subscription $subscription --output none 2>$err
  if ($LASTEXITCODE -eq 0) {
    $key = az functionapp keys list -g $group -n $app --subscription $subscription --query 'systemKeys.blobs_extension' --output tsv 2>$err
    if ($LASTEXITCODE -eq 0 -and $key) { break }
    $key = ''
    Say "$app has $function but no blobs_extension system key yet (attempt $i of $attempts)$(AzSaid)"
  } else {
    Say "$app does not list $function yet (attempt $i of $attempts)$(AzSaid)"
  }
  Start-Sleep -Seconds $delay
}
if (-not $key) {
  Fail "no blobs_extension system key on $app after $attempts attempts$(AzSaid); the Event Grid subscriptions for uploads to 'datasets' and 'batch' were not made. Check that the app started (its log stream or Application Insights) and run 'azd hooks run postdeploy' again."
}

# BlobCreated in $container delivered to $target's webhook, as subscription $name, except blobs whose
# subject contains one of $skip.
function Subscribe([string] $name, [string] $target, [string] $container, [string[]] $skip = @()) {
  $endpoint = Format-CmdArgument "$url/runtime/webhooks/blobs?functionName=Host.Functions.$target&code=$key"
  $filter = if ($skip.Count -gt 0) { @('--advanced-filter', 'subject', 'StringNotContains') + $skip } else { @() }
  for ($n = 1; ; $n++) {
    az eventgrid system-topic event-subscription create `
      -g $group --system-topic-name $topic -n $name `
      --endpoint-type webhook --endpoint $endpoint `
      --included-event-types Microsoft.Storage.BlobCreated `
      --subject-begins-with "/blobServices/default/containers/$container/" `
      @filter `
      --subscription $subscription --output none
    if ($LASTEXITCODE -eq 0) { break }
    if ($n -ge $subscribeAttempts) { Fail "Event Grid refused the subscription $subscribeAttempts times ($name; az's errors above); run 'azd hooks run postdeploy' again" }
    Say "Event Grid could not create the subscription $name (attempt $n of $subscribeAttempts; the webhook's validation may have timed out on a cold instance): retrying in ${delay}s"
    Start-Sleep -Seconds $delay
  }
  Say "Event Grid delivers BlobCreated in '$container' to $target at $url"
}

Subscribe 'datasets-blob-created' $function 'datasets'
# A batch job writes its results beside the uploads (batch/{jobId}/results/NNNNN.jsonl, summary.json):
# those are not jobs to start, so Event Grid does not deliver them (one wasted invocation per chunk).
Subscribe 'batch-blob-created' 'BatchUploaded' 'batch' @('/results/', '/summary.json')
Remove-Item -LiteralPath $err -ErrorAction SilentlyContinue
