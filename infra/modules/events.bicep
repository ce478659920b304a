// The Event Grid system topic of the storage account. Flex Consumption runs blob triggers only with
// the Event Grid source; the subscriptions to the functions' webhooks (BlobCreated in the datasets
// container for DatasetUploaded, in the batch container for BatchUploaded) need the deployed app's
// blobs_extension key, so the azd postdeploy hook creates them (infra/hooks/postdeploy.sh).
param name string
param location string
param tags object
param storageId string

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
