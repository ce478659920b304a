# Sourced by the azd hooks beside it (not run on its own): what every POSIX hook shares. Its pwsh twin is
# common.ps1; tests/Lepton.Functions.Tests/HookTests.cs keeps the two variants of every hook equivalent.
#
# Every az call of the hooks names --subscription "$subscription": azd's subscription (AZURE_SUBSCRIPTION_ID),
# not whichever one `az account set` last selected.

hook=${0##*/}
hook=${hook%.sh}
say() { printf '%s: %s\n' "$hook" "$*"; }
fail() {
  printf '%s: FAILED: %s\n' "$hook" "$*" >&2
  exit 1
}

subscription=${AZURE_SUBSCRIPTION_ID:-}
[ -n "$subscription" ] || fail "AZURE_SUBSCRIPTION_ID is not set: run the hook through azd (azd up, or azd hooks run $hook), or azd env set AZURE_SUBSCRIPTION_ID <id>"

# Seconds between retries (the tests set 0).
delay=${LEPTON_HOOK_RETRY_DELAY:-10}

# A file for the stderr of az calls whose failure the hook handles itself; shown with the hook's message.
err=$(mktemp)
trap 'rm -f "$err"' EXIT
# az_said: the first lines of the last handled az error, for a message (empty if there was none).
az_said() {
  if [ -s "$err" ]; then printf ' (az: %s)' "$(head -n 3 "$err" | tr '\n' ' ' | sed 's/ *$//')"; fi
  return 0
}
