using Azure.Identity;
using Azure.Monitor.OpenTelemetry.AspNetCore;
using Lepton.Core.Contracts;
using Lepton.Functions;
using Lepton.Inference.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// The worker's own web server logs two lines per request at Information, each a message to the host:
// serving routes log nothing per request (host.json does the same for the host's invocation logs).
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

// Telemetry only where Application Insights is configured; in Azure it authenticates with the app's
// identity (local auth is disabled on the resource).
if (!string.IsNullOrEmpty(builder.Configuration[LeptonSettings.AppInsightsConnectionString]))
{
    var telemetry = builder.Services.AddOpenTelemetry();
    telemetry.UseFunctionsWorkerDefaults();
    telemetry.UseAzureMonitor(o => o.Credential = new DefaultAzureCredential());
}

// LEPTON_STORE: the model registry's storage. An account URL uses the managed identity in Azure
// (AZURE_CLIENT_ID names a user-assigned one); locally, UseDevelopmentStorage=true is Azurite.
builder.Services.AddLeptonInference(builder.Configuration[LeptonSettings.Store], builder.Configuration);
builder.Services.AddLeptonPipeline(builder.Configuration);
builder.Build().Run();
