// The Functions app on the Flex Consumption plan (FC1), .NET isolated worker on .NET 10. It reaches
// storage, Application Insights and Azure ML with its user-assigned identity; no keys anywhere.
//
// Instance memory: 2048 MB by default. A serving instance holds ONNX Runtime (about 60 MB native),
// one session per loaded model version (the paper's CNN: under 1 MB of weights, a few MB of arenas)
// and request buffers; measured 'lepton serve' resident memory with one model loaded is in
// docs/benchmarks.md. 2048 MB leaves room for several model versions and concurrent image decoding,
// and on Flex Consumption it also buys proportionally more CPU than 512 MB, which inference needs.
param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
param storageName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerUrl string
param appInsightsConnectionString string
param alwaysReadyInstances int
param instanceMemoryMB int

@description('The app\'s own settings (name: value), added to the host settings below.')
param appSettings object

var hostSettings = {
  AzureWebJobsStorage__accountName: storageName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [for setting in items(union(hostSettings, appSettings)): {
        name: setting.key
        value: setting.value
      }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 100
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyInstances > 0 ? [
          {
            name: 'http'
            instanceCount: alwaysReadyInstances
          }
        ] : []
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
