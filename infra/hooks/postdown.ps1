# azd postdown hook, pwsh variant of postdown.sh (which says why): moves LEPTON_GENERATION on ('' then g2,
# g3, ...), so the next azd up names a new Azure ML workspace and Key Vault. No az call: nothing to pin.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$current = if ($env:LEPTON_GENERATION) { $env:LEPTON_GENERATION } else { 'g1' }
if ($current -notmatch '^g([0-9]+)$') {
  [Console]::Error.WriteLine("postdown: LEPTON_GENERATION is '$current', not g<number>")
  exit 1
}
$next = "g$([int] $Matches[1] + 1)"
azd env set LEPTON_GENERATION $next
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
Write-Host "postdown: the next azd up names the Azure ML workspace and Key Vault with generation $next (Azure keeps the deleted ones' names for a while)"
