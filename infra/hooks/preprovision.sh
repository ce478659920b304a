#!/bin/sh
# azd preprovision hook: before anything is created, checks that the region has Azure ML quota for one node
# of the training cluster's VM size (LEPTON_TRAINER_VM_SIZE, the Bicep parameter trainerVmSize). Without it
# Azure ML refuses the cluster deep into the deployment ("total vCPU quota of 0 and cannot accommodate for
# at least 1 requested managed compute node"); here it stops first, naming the size, its family, the quota
# and how to get more or pick another size. Azure ML's own REST API (no extension): the VM sizes it offers
# in the region with their quota family, and the subscription's usages and limits per family.
set -eu
. "$(dirname "$0")/common.sh"

location=${AZURE_LOCATION:-}
[ -n "$location" ] || fail "AZURE_LOCATION is not set: azd env set AZURE_LOCATION <region>, or run azd up"
# The default must stay the one in infra/main.parameters.json and infra/main.bicep (tests check).
size=${LEPTON_TRAINER_VM_SIZE:-Standard_DS3_v2}
api=2024-10-01
base="/subscriptions/$subscription/providers/Microsoft.MachineLearningServices/locations/$location"

# The query string goes in --uri-parameters: an '&' in an argument breaks az.cmd on Windows (pwsh variant).
sizes=$(az rest --method get --url "$base/vmSizes" --uri-parameters "api-version=$api" --subscription "$subscription" \
  --query "value[].[name, family, to_string(vCPUs)]" --output tsv) ||
  fail "could not list the VM sizes Azure ML offers in $location (az's error above). A subscription that never used Azure ML must register it first: az provider register --namespace Microsoft.MachineLearningServices --subscription $subscription"
row=$(printf '%s\n' "$sizes" | awk -F '\t' -v s="$size" 'tolower($1) == tolower(s) { print; exit }')
[ -n "$row" ] || fail "Azure ML offers no VM size '$size' in $location. Pick one it offers there (Azure ML studio, Compute, New cluster lists them) and azd env set LEPTON_TRAINER_VM_SIZE <size>, or choose another region."
family=$(printf '%s\n' "$row" | cut -f 2)
vcpus=$(printf '%s\n' "$row" | cut -f 3)

usages=$(az rest --method get --url "$base/usages" --uri-parameters "api-version=$api" --subscription "$subscription" \
  --query "value[].[type, name.value, to_string(currentValue), to_string(limit)]" --output tsv) ||
  fail "could not read the Azure ML quota in $location (az's error above)"

# usage NAME_KEY: "in-use<TAB>limit" of the subscription-wide usage (type .../vmFamily/usages or
# .../dedicatedCores/usages, not a workspace's or a cluster's) whose name, lower-cased without blanks and
# underscores, is NAME_KEY ("Standard DSv2 Family Cluster Dedicated vCPUs" for the family
# standardDSv2Family); "0<TAB>0" when Azure lists none, which means no quota.
usage() {
  printf '%s\n' "$usages" | awk -F '\t' -v k="$1" '
    { n = tolower($2); gsub(/[ _]/, "", n) }
    ($1 ~ /\/(vmFamily|dedicatedCores)\/usages$/) && n == k { print $3 "\t" $4; found = 1; exit }
    END { if (!found) print "0\t0" }'
}
family_key=$(printf '%s' "$family" | tr 'A-Z' 'a-z' | tr -d ' _')clusterdedicatedvcpus
family_usage=$(usage "$family_key")
total_usage=$(usage totalclusterdedicatedregionalvcpus)

fix="Either pick a CPU size, which new subscriptions usually have quota for: azd env set LEPTON_TRAINER_VM_SIZE Standard_DS3_v2 (then azd up again); or request more: Azure ML studio > Quota > $location > $family, or the Azure portal's Quotas page (Machine learning), at least $vcpus dedicated vCPUs. See docs/deploy.md."
check() { # check WHAT "in-use<TAB>limit"
  used=$(printf '%s\n' "$2" | cut -f 1)
  limit=$(printf '%s\n' "$2" | cut -f 2)
  free=$((limit - used))
  if [ "$free" -lt "$vcpus" ]; then
    fail "the training cluster's VM size $size (family $family, $vcpus vCPUs a node) does not fit the Azure ML quota in $location: $1 has $free dedicated vCPUs free (quota $limit, in use $used). $fix"
  fi
  say "$size ($family, $vcpus vCPUs a node): $1 has $free of $limit dedicated vCPUs free in $location"
}
check "the $family family" "$family_usage"
check "the regional total" "$total_usage"
