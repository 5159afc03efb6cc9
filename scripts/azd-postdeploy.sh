#!/usr/bin/env sh
# azd postdeploy hook (azure.yaml); also runnable by hand: `azd hooks run postdeploy`.
#
# 1. infra/eventgrid-subscriptions.json into the app's resource group: Event Grid subscriptions to the functions and
#    the action group + alert processing rule that call the monitorAlert webhook. They point at deployed functions
#    (Event Grid checks an AzureFunction endpoint exists; the webhook URL carries the function's key), so they can
#    only be created after `azd deploy`.
# 2. infra/platform-access.json at subscription scope, once the platform exists (its Key Vault is the marker): the
#    app's day-2 grants on the clusters, the Backup vault and the TLS secret, and the Key Vault system topic. Before
#    the first build (POST /api/environments/{env}/provision) this step is skipped; run the hook again afterwards.
#
# Inputs: the azd environment (outputs of infra/main.json). For a platform spec other than the seed k8s-demo, set
# AKS_PLATFORM_ACCESS_PARAMETERS to a parameters file for infra/platform-access.json (clusters, vault, Key Vault names).
set -eu

need() {
  eval "value=\${$1:-}"
  if [ -z "$value" ]; then
    echo "azd-postdeploy: $1 is not set; run 'azd provision' first (it stores the outputs of infra/main.json)" >&2
    exit 1
  fi
}
for name in AZURE_ENV_NAME AZURE_LOCATION AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AKS_PLATFORM_STORAGE_ACCOUNT \
  AKS_PLATFORM_CUSTOM_TOPIC AKS_PLATFORM_HEALTH_SYSTEM_TOPIC AKS_PLATFORM_RESOURCES_SYSTEM_TOPIC \
  AKS_PLATFORM_IDENTITY_PRINCIPAL_ID AKS_PLATFORM_RUN_COMMAND_ROLE_ID AKS_PLATFORM_INGRESS_ROLE_ID; do
  need "$name"
done

root=$(cd "$(dirname "$0")/.." && pwd)

# The functions are indexed by the host a little after the package lands; Event Grid refuses a subscription to a
# function it cannot see yet, so retry for a few minutes.
attempt=1
until az deployment group create \
  --name "${AZURE_ENV_NAME}-eventgrid" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --template-file "$root/infra/eventgrid-subscriptions.json" \
  --parameters functionAppName="$AZURE_FUNCTION_APP_NAME" storageAccountName="$AKS_PLATFORM_STORAGE_ACCOUNT" \
  customTopicName="$AKS_PLATFORM_CUSTOM_TOPIC" healthSystemTopicName="$AKS_PLATFORM_HEALTH_SYSTEM_TOPIC" \
  resourcesSystemTopicName="$AKS_PLATFORM_RESOURCES_SYSTEM_TOPIC" \
  --output none; do
  if [ "$attempt" -ge 5 ]; then
    echo "azd-postdeploy: infra/eventgrid-subscriptions.json failed $attempt times; see the deployment '${AZURE_ENV_NAME}-eventgrid' in $AZURE_RESOURCE_GROUP" >&2
    exit 1
  fi
  echo "azd-postdeploy: the functions may not be indexed yet; retrying in 60 s (attempt $attempt of 5)"
  attempt=$((attempt + 1))
  sleep 60
done
echo "azd-postdeploy: Event Grid subscriptions and the backup-alert action group are in place"

common_rg=${AKS_PLATFORM_COMMON_RESOURCE_GROUP:-rg-k8s-demo-common}
platform_kv=${AKS_PLATFORM_PLATFORM_KEY_VAULT:-kv-k8s-demo-01}
if ! az keyvault show --name "$platform_kv" --resource-group "$common_rg" --output none 2>/dev/null; then
  echo "azd-postdeploy: the platform is not built yet (no Key Vault $platform_kv in $common_rg); after the first build run 'azd hooks run postdeploy' to grant the app its day-2 access"
  exit 0
fi

set -- principalId="$AKS_PLATFORM_IDENTITY_PRINCIPAL_ID" runCommandRoleId="$AKS_PLATFORM_RUN_COMMAND_ROLE_ID" \
  ingressRoleId="$AKS_PLATFORM_INGRESS_ROLE_ID" \
  appResourceGroup="$AZURE_RESOURCE_GROUP" functionAppName="$AZURE_FUNCTION_APP_NAME" \
  storageAccountName="$AKS_PLATFORM_STORAGE_ACCOUNT"
if [ -n "${AKS_PLATFORM_ACCESS_PARAMETERS:-}" ]; then
  set -- "@$AKS_PLATFORM_ACCESS_PARAMETERS" "$@"
fi
az deployment sub create \
  --name "${AZURE_ENV_NAME}-platform-access" \
  --location "$AZURE_LOCATION" \
  --template-file "$root/infra/platform-access.json" \
  --parameters "$@" \
  --output none
echo "azd-postdeploy: day-2 access to the platform granted (clusters, Backup vault, TLS secret, Key Vault events)"
