# azd predown hook, pwsh variant of predown.sh (which says why): deletes the Azure ML workspace permanently
# (forceToPurge) and waits until it is gone, so the next azd up of this environment can reuse its name.
. (Join-Path $PSScriptRoot 'common.ps1')

$group = $env:AZURE_RESOURCE_GROUP
$workspace = $env:AZURE_ML_WORKSPACE
if (-not $group -or -not $workspace) {
  Say 'this environment has no Azure ML workspace (never provisioned): nothing to purge'
  exit 0
}
$url = "/subscriptions/$subscription/resourceGroups/$group/providers/Microsoft.MachineLearningServices/workspaces/$workspace"
$api = 'api-version=2024-10-01'
$attempts = if ($env:LEPTON_PREDOWN_ATTEMPTS) { [int] $env:LEPTON_PREDOWN_ATTEMPTS } else { 60 }

az rest --method get --url $url --uri-parameters $api --subscription $subscription --output none 2>$err
if ($LASTEXITCODE -ne 0) {
  if ((Get-Content -LiteralPath $err -Raw) -cmatch 'NotFound') {
    Say "workspace $workspace is gone already"
    Remove-Item -LiteralPath $err -ErrorAction SilentlyContinue
    exit 0
  }
  [Console]::Error.Write((Get-Content -LiteralPath $err -Raw))
  Fail "could not read workspace $workspace (az's error above)"
}

Say "deleting Azure ML workspace $workspace permanently (no soft delete: its name is free for the next azd up)"
az rest --method delete --url $url --uri-parameters $api forceToPurge=true --subscription $subscription --output none
if ($LASTEXITCODE -ne 0) { Fail "could not delete workspace $workspace (az's error above)" }
for ($i = 1; ; $i++) {
  az rest --method get --url $url --uri-parameters $api --subscription $subscription --output none 2>$err
  if ($LASTEXITCODE -ne 0) { break }
  if ($i -ge $attempts) { Fail "workspace $workspace still exists after $attempts checks; azd down goes on only once it is gone" }
  Say "waiting for $workspace to be deleted (check $i of $attempts)"
  Start-Sleep -Seconds $delay
}
if ((Get-Content -LiteralPath $err -Raw) -cnotmatch 'NotFound') {
  [Console]::Error.Write((Get-Content -LiteralPath $err -Raw))
  Fail "could not confirm that workspace $workspace is deleted (az's error above)"
}
Remove-Item -LiteralPath $err -ErrorAction SilentlyContinue
Say "workspace $workspace is deleted and purged"
