// Azure Machine Learning: the workspace with what it needs (Key Vault, container registry, its own
// storage, Application Insights), an AmlCompute training cluster with min nodes 0 (GPUs cost nothing
// idle) that runs as its own user-assigned identity, and credential-less datastores over the app's
// 'prepared' and 'runs' containers: jobs reach them as azureml://datastores/... with that identity.
param workspaceName string
param keyVaultName string
param registryName string
param storageName string
param clusterName string
param clusterIdentityName string
param trainerVmSize string
param trainerMaxNodes int
param appInsightsId string
param location string
param tags object

@description('The app\'s storage account, whose containers the datastores name.')
param dataStorageName string

@description('The datastore over the app\'s prepared container (training data in).')
param preparedDatastoreName string

@description('The datastore over the app\'s runs container (job specs in; checkpoints, model and metrics out).')
param runsDatastoreName string

// Required by the workspace; Lepton keeps nothing in it. Soft delete cannot be turned off (Azure enforces
// it), but without purge protection `azd down --purge` purges the vault; a plain `azd down` leaves it
// soft-deleted for the shortest retention Key Vault allows (7 days), and the next `azd up` names a new one
// (main.bicep's generation). enablePurgeProtection is left out: the property accepts only true.
resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: registryName
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: { adminUserEnabled: false }
}

resource mlStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {
  name: workspaceName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    friendlyName: workspaceName
    keyVault: keyVault.id
    containerRegistry: registry.id
    storageAccount: mlStorage.id
    applicationInsights: appInsightsId
    publicNetworkAccess: 'Enabled'
  }
}

// The identity training jobs run as: the cluster's only identity (no system-assigned one beside it), so
// it is the cluster's default identity, which Azure ML uses to pull the image and mount the datastores
// of a job whose identity is 'Managed'. Its roles are explicit (roles.bicep), not Azure ML's automatic ones.
resource clusterIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: clusterIdentityName
  location: location
  tags: tags
}

resource cluster 'Microsoft.MachineLearningServices/workspaces/computes@2024-10-01' = {
  parent: workspace
  name: clusterName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${clusterIdentity.id}': {} }
  }
  properties: {
    computeType: 'AmlCompute'
    properties: {
      vmSize: trainerVmSize
      vmPriority: 'Dedicated'
      scaleSettings: {
        minNodeCount: 0
        maxNodeCount: trainerMaxNodes
        nodeIdleTimeBeforeScaleDown: 'PT120S'
      }
    }
  }
}

// Identity-based ('None' credentials): no key or SAS is stored in the workspace; whoever reads through
// a datastore uses its own identity (a job: its identity, here the cluster's).
resource preparedDatastore 'Microsoft.MachineLearningServices/workspaces/datastores@2024-10-01' = {
  parent: workspace
  name: preparedDatastoreName
  properties: {
    datastoreType: 'AzureBlob'
    accountName: dataStorageName
    containerName: 'prepared'
    endpoint: environment().suffixes.storage
    protocol: 'https'
    credentials: { credentialsType: 'None' }
    serviceDataAccessAuthIdentity: 'None'
    description: 'Lepton prepared datasets (identity-based access)'
  }
}

resource runsDatastore 'Microsoft.MachineLearningServices/workspaces/datastores@2024-10-01' = {
  parent: workspace
  name: runsDatastoreName
  properties: {
    datastoreType: 'AzureBlob'
    accountName: dataStorageName
    containerName: 'runs'
    endpoint: environment().suffixes.storage
    protocol: 'https'
    credentials: { credentialsType: 'None' }
    serviceDataAccessAuthIdentity: 'None'
    description: 'Lepton training runs: job specs in, checkpoints and models out (identity-based access)'
  }
}

output workspaceName string = workspace.name
output clusterName string = cluster.name
output registryName string = registry.name
output registryLoginServer string = registry.properties.loginServer
output preparedDatastoreName string = preparedDatastore.name
output runsDatastoreName string = runsDatastore.name
output clusterIdentityId string = clusterIdentity.id
output clusterIdentityPrincipalId string = clusterIdentity.properties.principalId
