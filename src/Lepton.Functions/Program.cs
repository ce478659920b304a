using Lepton.Core.Contracts;
using Lepton.Functions;
using Lepton.Inference.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// LEPTON_STORE: the model registry's storage. An account URL uses the managed identity in Azure
// (AZURE_CLIENT_ID names a user-assigned one); locally, UseDevelopmentStorage=true is Azurite.
builder.Services.AddLeptonInference(builder.Configuration[LeptonSettings.Store], builder.Configuration);
builder.Services.AddLeptonPipeline(builder.Configuration);
builder.Build().Run();
