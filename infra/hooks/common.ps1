# Dot-sourced by the pwsh hooks beside it (not run on its own): what every pwsh hook shares, the twin of
# common.sh. tests/Lepton.Functions.Tests/HookTests.cs keeps the two variants of every hook equivalent.
#
# Every az call of the hooks names --subscription $subscription: azd's subscription (AZURE_SUBSCRIPTION_ID),
# not whichever one `az account set` last selected. On Windows az is a batch file (az.cmd), which splits an
# argument at '&' unless it is quoted: the hooks keep '&' out of arguments (--uri-parameters), and the one
# that needs it (the webhook URL) is quoted for cmd.exe by Format-CmdArgument.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$hook = [IO.Path]::GetFileNameWithoutExtension($MyInvocation.PSCommandPath)
# The stderr of az calls whose failure the hook handles itself; shown with the hook's message.
$err = Join-Path ([IO.Path]::GetTempPath()) "lepton-$hook-$PID.err"

function Say([string] $Message) { Write-Host "${hook}: $Message" }

# Ends the hook's process: `exit` would end only this file while it is being dot-sourced.
function Fail([string] $Message) {
  Remove-Item -LiteralPath $err -ErrorAction SilentlyContinue
  [Console]::Error.WriteLine("${hook}: FAILED: $Message")
  [Environment]::Exit(1)
}

# The first lines of the last handled az error, for a message (empty if there was none).
function AzSaid {
  if ((Test-Path -LiteralPath $err) -and (Get-Item -LiteralPath $err).Length -gt 0) {
    $lines = @(Get-Content -LiteralPath $err -TotalCount 3) -join ' '
    return " (az: $($lines.TrimEnd()))"
  }
  return ''
}

function Format-CmdArgument([string] $Value) { if ($IsWindows) { "`"$Value`"" } else { $Value } }

$subscription = $env:AZURE_SUBSCRIPTION_ID
if (-not $subscription) { Fail "AZURE_SUBSCRIPTION_ID is not set: run the hook through azd (azd up, or azd hooks run $hook), or azd env set AZURE_SUBSCRIPTION_ID <id>" }

# Seconds between retries (the tests set 0).
$delay = if ($env:LEPTON_HOOK_RETRY_DELAY) { [int] $env:LEPTON_HOOK_RETRY_DELAY } else { 10 }

# Required VALUE MESSAGE: VALUE, or Fail with MESSAGE when it is empty.
function Required([string] $Value, [string] $Message) {
  if (-not $Value) { Fail $Message }
  return $Value
}
