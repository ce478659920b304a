#!/bin/sh
# azd postdown hook: moves the environment's generation on (LEPTON_GENERATION: '' then g2, g3, ...), which
# main.bicep appends to the names of the Azure ML workspace and its Key Vault. A deleted workspace stays
# soft-deleted for 14 days and a deleted vault for 7 (unless `azd down --purge` purged it), their names
# taken all that time: the next `azd up` of this environment names new ones and succeeds. A postdown hook,
# not a predown one that purges: azd runs predown before its confirmation prompt (Azure/azure-dev#3490), so
# answering no would have left a deployment without its workspace. No az call: nothing to pin.
set -eu

current=${LEPTON_GENERATION:-g1}
number=${current#g}
case $number in
  '' | *[!0-9]*) echo "postdown: LEPTON_GENERATION is '$current', not g<number>" >&2; exit 1 ;;
esac
next="g$((number + 1))"
azd env set LEPTON_GENERATION "$next"
echo "postdown: the next azd up names the Azure ML workspace and Key Vault with generation $next (Azure keeps the deleted ones' names for a while)"
