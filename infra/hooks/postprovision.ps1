# azd postprovision hook, pwsh variant of postprovision.sh (which says what it does and why): builds the
# trainer image the cluster needs, tagged by a content hash of its inputs and only when the registry lacks
# that tag, and pins the app (and the azd environment) to its digest.
. (Join-Path $PSScriptRoot 'common.ps1')

$login = Required $env:AZURE_CONTAINER_REGISTRY 'the Bicep output AZURE_CONTAINER_REGISTRY is missing: run azd provision'
$registry = $login.Split('.')[0]
$flavor = Required $env:LEPTON_TRAINER_FLAVOR 'the Bicep output LEPTON_TRAINER_FLAVOR (gpu or cpu) is missing'
$dockerfile = switch ($flavor) { 'cpu' { 'Dockerfile' } 'gpu' { 'Dockerfile.gpu' } default { Fail "LEPTON_TRAINER_FLAVOR is '$flavor', not cpu or gpu" } }
$group = Required $env:AZURE_RESOURCE_GROUP 'the Bicep output AZURE_RESOURCE_GROUP is missing: run azd provision'
$app = Required $env:AZURE_FUNCTION_APP_NAME 'the Bicep output AZURE_FUNCTION_APP_NAME is missing: run azd provision'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

# The image's inputs and their hash, computed exactly as postprovision.sh does (a test compares the two):
# sha256 of the sorted (ordinal) "sha256  path" lines of every file, less bin/, obj/ and TestResults/.
$inputs = 'nuget.config', 'Directory.Build.props', 'Directory.Packages.props', 'src/Lepton.Core', 'src/Lepton.Inference', 'src/Lepton.Training', 'src/Lepton.Trainer'
$files = foreach ($item in $inputs) {
  $path = Join-Path $root $item
  $found = if (Test-Path -LiteralPath $path -PathType Leaf) { Get-Item -LiteralPath $path -Force } else { Get-ChildItem -LiteralPath $path -Recurse -File -Force }
  foreach ($file in $found) {
    $relative = [IO.Path]::GetRelativePath($root, $file.FullName).Replace('\', '/')
    if ($relative -notmatch '/(bin|obj|TestResults)/') { $relative }
  }
}
$listing = [Text.StringBuilder]::new()
$sorted = [Collections.Generic.List[string]]::new([string[]] @($files))
$sorted.Sort([StringComparer]::Ordinal)
foreach ($relative in $sorted) {
  $fileHash = (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $root $relative)).Hash.ToLowerInvariant()
  [void] $listing.Append("$fileHash  $relative`n")
}
$bytes = [Text.Encoding]::UTF8.GetBytes($listing.ToString())
$hash = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant().Substring(0, 16)
$image = "lepton-trainer:$flavor-$hash"

$digest = az acr repository show --name $registry --image $image --subscription $subscription --query digest --output tsv 2>$err
if ($LASTEXITCODE -eq 0 -and $digest) {
  Say "$registry has $image already (the trainer's inputs have not changed): not rebuilding"
} else {
  Say "$registry has no $image yet$(AzSaid): building it from src/Lepton.Trainer/$dockerfile"
  az acr build --registry $registry --image $image --image "lepton-trainer:$flavor" `
    --file (Join-Path $root "src/Lepton.Trainer/$dockerfile") --subscription $subscription --output none $root
  if ($LASTEXITCODE -ne 0) { Fail "the image build in $registry failed (az's error above)" }
  $digest = az acr repository show --name $registry --image $image --subscription $subscription --query digest --output tsv
}
if ("$digest" -notlike 'sha256:*') { Fail "could not resolve $image to a digest (got '$digest')" }
$pinned = "$login/lepton-trainer@$digest"

azd env set LEPTON_TRAINER_IMAGE $pinned
if ($LASTEXITCODE -ne 0) { Fail 'azd env set failed (above)' }
az functionapp config appsettings set -g $group -n $app `
  --settings "LEPTON_AZUREML_TRAINER_IMAGE=$pinned" --subscription $subscription --output none
if ($LASTEXITCODE -ne 0) { Fail "could not set LEPTON_AZUREML_TRAINER_IMAGE on $app (az's error above)" }
Remove-Item -LiteralPath $err -ErrorAction SilentlyContinue
Say "training jobs run $pinned ($image)"
