// Entry point for `azd provision`. azd's Bicep provider reads only main.bicep / main.bicepparam and compiles them with
// the Bicep CLI; it takes no ARM JSON directly. The infrastructure itself is the ARM JSON template main.json (checked
// offline by test/infra with lib/arm and the official schemas); Bicep accepts an ARM JSON file as a module, so this
// file only passes azd's parameters through and re-exports the outputs azd stores in the environment.
// test/infra keeps the parameter and output names here equal to main.json's.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
param environmentName string

@minLength(1)
param location string

param grantPlatformBuild bool = true

@allowed(['AzureStorage', 'DurableTaskScheduler'])
param durableBackend string = 'AzureStorage'

@allowed(['Consumption', 'Dedicated'])
param durableTaskSchedulerSku string = 'Consumption'

param enableTeams bool = false

param enableSlack bool = false

@secure()
param teamsWebhookUrl string = ''

@secure()
param slackWebhookUrl string = ''

module app 'main.json' = {
  name: '${environmentName}-infra'
  params: {
    environmentName: environmentName
    location: location
    grantPlatformBuild: grantPlatformBuild
    durableBackend: durableBackend
    durableTaskSchedulerSku: durableTaskSchedulerSku
    enableTeams: enableTeams
    enableSlack: enableSlack
    teamsWebhookUrl: teamsWebhookUrl
    slackWebhookUrl: slackWebhookUrl
  }
}

output AZURE_LOCATION string = app.outputs.AZURE_LOCATION
output AZURE_TENANT_ID string = app.outputs.AZURE_TENANT_ID
output AZURE_RESOURCE_GROUP string = app.outputs.AZURE_RESOURCE_GROUP
output AZURE_FUNCTION_APP_NAME string = app.outputs.AZURE_FUNCTION_APP_NAME
output AZURE_FUNCTION_APP_HOSTNAME string = app.outputs.AZURE_FUNCTION_APP_HOSTNAME
output AKS_PLATFORM_IDENTITY_PRINCIPAL_ID string = app.outputs.AKS_PLATFORM_IDENTITY_PRINCIPAL_ID
output AKS_PLATFORM_RUN_COMMAND_ROLE_ID string = app.outputs.AKS_PLATFORM_RUN_COMMAND_ROLE_ID
output AKS_PLATFORM_INGRESS_ROLE_ID string = app.outputs.AKS_PLATFORM_INGRESS_ROLE_ID
output AKS_PLATFORM_STORAGE_ACCOUNT string = app.outputs.AKS_PLATFORM_STORAGE_ACCOUNT
output AKS_PLATFORM_DEADLETTER_CONTAINER string = app.outputs.AKS_PLATFORM_DEADLETTER_CONTAINER
output AKS_PLATFORM_CUSTOM_TOPIC string = app.outputs.AKS_PLATFORM_CUSTOM_TOPIC
output AKS_PLATFORM_HEALTH_SYSTEM_TOPIC string = app.outputs.AKS_PLATFORM_HEALTH_SYSTEM_TOPIC
output AKS_PLATFORM_RESOURCES_SYSTEM_TOPIC string = app.outputs.AKS_PLATFORM_RESOURCES_SYSTEM_TOPIC
output AKS_PLATFORM_KEY_VAULT string = app.outputs.AKS_PLATFORM_KEY_VAULT
