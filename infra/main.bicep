// Lepton on Azure: the Functions app (Flex Consumption), its storage and identity, monitoring, the
// Event Grid topic for dataset uploads, and Azure Machine Learning with a training cluster (CPU by
// default, GPU a one-line choice) that scales to zero. docs/deploy.md walks through every resource and role.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; part of every resource name.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Object id of the deploying user, granted the same data roles as the app so local runs against the cloud account work. Empty: none.')
param principalId string = ''

@description('What principalId is: User (azd signed in as a person), ServicePrincipal (CI signed in as an app) or Group. ARM refuses a role assignment whose principalType does not match the principal.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Always-ready instances of the HTTP functions (0: scale to zero).')
@minValue(0)
param alwaysReadyInstances int = 0

@description('Memory of each Function App instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('VM size of the training cluster. Default: a CPU size (4 vCPUs, DSv2 family), which a new subscription can usually get; GPU: Standard_NC4as_T4_v3 (docs/deploy.md). The preprovision hook checks the quota first.')
param trainerVmSize string = 'Standard_DS3_v2'

@description('Whether the training cluster\'s VM size has a GPU (then jobs run the :gpu trainer image, else :cpu). Default: the N-series (Standard_N*) sizes are the GPU ones.')
param trainerIsGpu bool = startsWith(toLower(trainerVmSize), 'standard_n')

@description('Largest number of nodes the training cluster scales out to.')
@minValue(1)
param trainerMaxNodes int = 2

@description('Container image of the trainer job, pinned by digest (registry/lepton-trainer@sha256:...). The postprovision hook builds the images, resolves the digest and sets it (azd env LEPTON_TRAINER_IMAGE). Empty: the :gpu or :cpu tag until then.')
param trainerImage string = ''

@description('Appended to the names of the Azure ML workspace and its Key Vault, which Azure keeps soft-deleted after a deletion (14 and 7 days), their names taken. The postdown hook moves it on after every azd down (g2, g3, ...), so the next azd up of the environment names new ones. Empty: the first deployment.')
@maxLength(4)
param generation string = ''

@description('Minimum test accuracy a model needs to be promoted to production.')
param minimumAccuracy string = '0.85'

var tags = { 'azd-env-name': environmentName }
var trainerFlavor = trainerIsGpu ? 'gpu' : 'cpu'
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  scope: rg
  params: {
    name: 'id-lepton-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
  }
}

module ml 'modules/ml.bicep' = {
  scope: rg
  params: {
    workspaceName: 'mlw-${resourceToken}${generation}'
    keyVaultName: 'kv-${resourceToken}${generation}'
    registryName: 'cr${resourceToken}'
    storageName: 'stml${resourceToken}'
    clusterName: trainerIsGpu ? 'gpu-cluster' : 'cpu-cluster'
    clusterIdentityName: 'id-trainer-${resourceToken}'
    trainerVmSize: trainerVmSize
    trainerMaxNodes: trainerMaxNodes
    appInsightsId: monitoring.outputs.appInsightsId
    dataStorageName: storage.outputs.name
    preparedDatastoreName: 'lepton_prepared'
    runsDatastoreName: 'lepton_runs'
    location: location
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  scope: rg
  params: {
    storageName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    workspaceName: ml.outputs.workspaceName
    registryName: ml.outputs.registryName
    appPrincipalId: identity.outputs.principalId
    clusterPrincipalId: ml.outputs.clusterIdentityPrincipalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module functionApp 'modules/functionapp.bicep' = {
  scope: rg
  params: {
    planName: 'plan-${resourceToken}'
    appName: 'func-lepton-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${storage.outputs.deploymentContainer}'
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    alwaysReadyInstances: alwaysReadyInstances
    instanceMemoryMB: instanceMemoryMB
    appSettings: {
      LEPTON_STORE: storage.outputs.blobEndpoint
      TASKHUB_NAME: 'lepton'
      LEPTON_COMPUTE_TARGET: 'azureml'
      LEPTON_AZUREML_SUBSCRIPTION_ID: subscription().subscriptionId
      LEPTON_AZUREML_RESOURCE_GROUP: rg.name
      LEPTON_AZUREML_WORKSPACE: ml.outputs.workspaceName
      LEPTON_AZUREML_CLUSTER: ml.outputs.clusterName
      LEPTON_AZUREML_TRAINER_IMAGE: empty(trainerImage) ? '${ml.outputs.registryLoginServer}/lepton-trainer:${trainerFlavor}' : trainerImage
      LEPTON_AZUREML_PREPARED_DATASTORE: ml.outputs.preparedDatastoreName
      LEPTON_AZUREML_RUNS_DATASTORE: ml.outputs.runsDatastoreName
      LEPTON_GATE_MIN_ACCURACY: minimumAccuracy
    }
  }
  dependsOn: [roles]
}

module events 'modules/events.bicep' = {
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageId: storage.outputs.id
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_EVENTGRID_TOPIC string = events.outputs.name
output AZURE_ML_WORKSPACE string = ml.outputs.workspaceName
output AZURE_ML_CLUSTER string = ml.outputs.clusterName
output AZURE_CONTAINER_REGISTRY string = ml.outputs.registryLoginServer
output AZURE_ML_CLUSTER_IDENTITY_ID string = ml.outputs.clusterIdentityId
output LEPTON_TRAINER_FLAVOR string = trainerFlavor
output LEPTON_STORE string = storage.outputs.blobEndpoint
