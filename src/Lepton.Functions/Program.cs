using Azure.Core;
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

// Telemetry only where Application Insights is configured (the worker's OpenTelemetry; host.json's
// telemetryMode makes the host use it too); in Azure it authenticates with the app's identity (local
// auth is disabled on the resource), the one credential registered by AddLeptonPipeline.
if (!string.IsNullOrEmpty(builder.Configuration[LeptonSettings.AppInsightsConnectionString]))
{
    var telemetry = builder.Services.AddOpenTelemetry();
    telemetry.UseFunctionsWorkerDefaults();
    telemetry.UseAzureMonitor();
    builder.Services.AddOptions<AzureMonitorOptions>().Configure<TokenCredential>((options, credential) => options.Credential = credential);
}

// The app's validated settings (LEPTON_STORE, the gate, the compute target: the app stops at start-up
// naming a missing or malformed one), its credential, the one store they open and the pipeline; then
// the serving API over that store.
builder.Services.AddLeptonPipeline(builder.Configuration);
builder.Services.AddLeptonInference(builder.Configuration[LeptonSettings.Store], builder.Configuration);
builder.Build().Run();
