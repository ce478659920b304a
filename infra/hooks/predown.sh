#!/bin/sh
# azd predown hook: deletes the Azure ML workspace permanently (forceToPurge) before azd deletes the
# resource group. A deleted workspace is otherwise soft-deleted for 14 days and its name, which is the same
# on the next `azd up` of this environment, cannot be reused until then. Lepton keeps nothing only there:
# its datasets, runs and models are in the app's storage account, which `azd down` deletes anyway. az rest
# does not wait for the deletion, so the hook does, until the workspace is gone.
set -eu
. "$(dirname "$0")/common.sh"

group=${AZURE_RESOURCE_GROUP:-}
workspace=${AZURE_ML_WORKSPACE:-}
if [ -z "$group" ] || [ -z "$workspace" ]; then
  say "this environment has no Azure ML workspace (never provisioned): nothing to purge"
  exit 0
fi
url="/subscriptions/$subscription/resourceGroups/$group/providers/Microsoft.MachineLearningServices/workspaces/$workspace"
api=api-version=2024-10-01
attempts=${LEPTON_PREDOWN_ATTEMPTS:-60}

if ! az rest --method get --url "$url" --uri-parameters "$api" --subscription "$subscription" --output none 2>"$err"; then
  if grep -q NotFound "$err"; then
    say "workspace $workspace is gone already"
    exit 0
  fi
  cat "$err" >&2
  fail "could not read workspace $workspace (az's error above)"
fi

say "deleting Azure ML workspace $workspace permanently (no soft delete: its name is free for the next azd up)"
az rest --method delete --url "$url" --uri-parameters "$api" forceToPurge=true --subscription "$subscription" --output none
i=0
while az rest --method get --url "$url" --uri-parameters "$api" --subscription "$subscription" --output none 2>"$err"; do
  i=$((i + 1))
  [ $i -lt "$attempts" ] || fail "workspace $workspace still exists after $attempts checks; azd down goes on only once it is gone"
  say "waiting for $workspace to be deleted (check $i of $attempts)"
  sleep "$delay"
done
grep -q NotFound "$err" || { cat "$err" >&2; fail "could not confirm that workspace $workspace is deleted (az's error above)"; }
say "workspace $workspace is deleted and purged"
