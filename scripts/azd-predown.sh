#!/usr/bin/env sh
# azd predown hook (azure.yaml): `azd down` deletes the app's resource group, but not what the app was granted outside
# it. Left behind, those would be orphaned assignments (Contributor on the subscription among them) and a custom role
# definition. This removes, while the identity still exists: every role assignment of the app's identity, the
# run-command custom role, and the system topics platform-access.json created in the platform's groups (Key Vault,
# AKS), whose subscriptions would otherwise point at a deleted app.
set -eu

principal=${AKS_PLATFORM_IDENTITY_PRINCIPAL_ID:-}
if [ -z "$principal" ]; then
  echo "azd-predown: AKS_PLATFORM_IDENTITY_PRINCIPAL_ID is not set (never provisioned?); nothing to remove outside the resource group"
  exit 0
fi

ids=$(az role assignment list --assignee "$principal" --all --query "[].id" --output tsv)
if [ -n "$ids" ]; then
  # One call per assignment: a failure names the assignment that could not be removed.
  for id in $ids; do
    az role assignment delete --ids "$id" --output none
  done
  echo "azd-predown: removed $(printf '%s\n' "$ids" | wc -l | tr -d ' ') role assignment(s) of the app's identity"
fi

# The custom roles of infra/main.json: run command (cluster scope) and ingress gateway (one namespace).
for role in "${AKS_PLATFORM_RUN_COMMAND_ROLE_ID:-}" "${AKS_PLATFORM_INGRESS_ROLE_ID:-}"; do
  [ -n "$role" ] || continue
  if az role definition list --name "$role" --query "[0].name" --output tsv | grep -q .; then
    az role definition delete --name "$role" --output none
    echo "azd-predown: removed the custom role $role"
  fi
done

# The Key Vault and AKS system topics of platform-access.json live in the platform's groups, tagged with the app.
if [ -n "${AZURE_FUNCTION_APP_NAME:-}" ]; then
  topics=$(az resource list --tag "aks-platform-app=$AZURE_FUNCTION_APP_NAME" --query "[].id" --output tsv)
  for id in $topics; do
    az resource delete --ids "$id" --output none
    echo "azd-predown: removed $id"
  done
fi
