# azd preprovision hook, pwsh variant of preprovision.sh (which says what it checks and why): stops before
# anything is created when the region has no Azure ML quota for one node of the training cluster's VM size.
. (Join-Path $PSScriptRoot 'common.ps1')

$location = Required $env:AZURE_LOCATION 'AZURE_LOCATION is not set: azd env set AZURE_LOCATION <region>, or run azd up'
# The default must stay the one in infra/main.parameters.json and infra/main.bicep (tests check).
$size = if ($env:LEPTON_TRAINER_VM_SIZE) { $env:LEPTON_TRAINER_VM_SIZE } else { 'Standard_DS3_v2' }
$api = '2024-10-01'
$base = "/subscriptions/$subscription/providers/Microsoft.MachineLearningServices/locations/$location"

$sizes = az rest --method get --url "$base/vmSizes" --uri-parameters "api-version=$api" --subscription $subscription `
  --query 'value[].[name, family, to_string(vCPUs)]' --output tsv
if ($LASTEXITCODE -ne 0) { Fail "could not list the VM sizes Azure ML offers in $location (az's error above). A subscription that never used Azure ML must register it first: az provider register --namespace Microsoft.MachineLearningServices --subscription $subscription" }
$row = @($sizes | ForEach-Object { , ($_ -split "`t") } | Where-Object { $_[0] -ieq $size }) | Select-Object -First 1
if (-not $row) { Fail "Azure ML offers no VM size '$size' in $location. Pick one it offers there (Azure ML studio, Compute, New cluster lists them) and azd env set LEPTON_TRAINER_VM_SIZE <size>, or choose another region." }
$family = $row[1]
$vcpus = [int] $row[2]

$usages = az rest --method get --url "$base/usages" --uri-parameters "api-version=$api" --subscription $subscription `
  --query 'value[].[type, name.value, to_string(currentValue), to_string(limit)]' --output tsv
if ($LASTEXITCODE -ne 0) { Fail "could not read the Azure ML quota in $location (az's error above)" }

# Usage NAME_KEY: (in use, limit) of the subscription-wide usage whose name, lower-cased without blanks and
# underscores, is NAME_KEY; (0, 0) when Azure lists none, which means no quota (as in preprovision.sh).
function Usage([string] $Key) {
  foreach ($line in @($usages)) {
    $f = $line -split "`t"
    if ($f[0] -match '/(vmFamily|dedicatedCores)/usages$' -and ($f[1].ToLowerInvariant() -replace '[ _]', '') -eq $Key) {
      return @([int] $f[2], [int] $f[3])
    }
  }
  return @(0, 0)
}
$familyKey = ($family.ToLowerInvariant() -replace '[ _]', '') + 'clusterdedicatedvcpus'

$fix = "Either pick a CPU size, which new subscriptions usually have quota for: azd env set LEPTON_TRAINER_VM_SIZE Standard_DS3_v2 (then azd up again); or request more: Azure ML studio > Quota > $location > $family, or the Azure portal's Quotas page (Machine learning), at least $vcpus dedicated vCPUs. See docs/deploy.md."
function Check([string] $What, $Usage) {
  $used, $limit = $Usage
  $free = $limit - $used
  if ($free -lt $vcpus) {
    Fail "the training cluster's VM size $size (family $family, $vcpus vCPUs a node) does not fit the Azure ML quota in ${location}: $What has $free dedicated vCPUs free (quota $limit, in use $used). $fix"
  }
  Say "$size ($family, $vcpus vCPUs a node): $What has $free of $limit dedicated vCPUs free in $location"
}
Check "the $family family" (Usage $familyKey)
Check 'the regional total' (Usage 'totalclusterdedicatedregionalvcpus')
