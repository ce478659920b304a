using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Lepton.Core.Storage;

namespace Lepton.Pipeline.Compute;

/// <summary>Where and how Azure Machine Learning runs the trainer.</summary>
public sealed record AzureMLOptions
{
    public required string SubscriptionId { get; init; }

    public required string ResourceGroup { get; init; }

    public required string Workspace { get; init; }

    /// <summary>The AmlCompute cluster (GPU, scaling to zero).</summary>
    public required string Cluster { get; init; }

    /// <summary>The trainer's container image (src/Lepton.Trainer/Dockerfile[.gpu]).</summary>
    public required string TrainerImage { get; init; }

    /// <summary>The blob endpoint of the storage that holds prepared/ and runs/ (https://{account}.blob.core.windows.net/).</summary>
    public required Uri StorageBlobEndpoint { get; init; }

    /// <summary>Azure Resource Manager; a test points it at a local fake.</summary>
    public Uri Endpoint { get; init; } = new("https://management.azure.com");

    /// <summary>A current stable Azure ML REST API version.</summary>
    public string ApiVersion { get; init; } = "2024-10-01";

    public const string Scope = "https://management.azure.com/.default";
}

/// <summary>
/// Runs the trainer as an Azure Machine Learning command job through the ARM REST API (no Azure ML
/// client library exists for .NET): <c>PUT .../jobs/{id}</c> to submit, <c>GET</c> for status,
/// <c>POST .../cancel</c>. Requests go through an Azure.Core pipeline with a bearer token for ARM (the
/// app's managed identity in Azure), whose retry policy honours 429 Retry-After and retries 5xx.
/// Inputs and outputs are blob folders that Azure ML mounts for the trainer.
/// </summary>
public sealed class AzureMLComputeTarget : IComputeTarget
{
    public const string TargetName = "azureml";

    private readonly AzureMLOptions _options;
    private readonly IArtifactStore _store;
    private readonly HttpPipeline _pipeline;

    /// <param name="store">The artifact store the job reads and writes (prepared/, runs/): the job's job.json is written there.</param>
    public AzureMLComputeTarget(AzureMLOptions options, IArtifactStore store, TokenCredential credential, ClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(credential);
        _options = options;
        _store = store;
        _pipeline = HttpPipelineBuilder.Build(clientOptions ?? new AzureMLClientOptions(), new BearerTokenAuthenticationPolicy(credential, AzureMLOptions.Scope));
    }

    public string Name => TargetName;

    private string WorkspacePath =>
        $"/subscriptions/{_options.SubscriptionId}/resourceGroups/{_options.ResourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{_options.Workspace}";

    private Uri Url(string path) => new(_options.Endpoint, $"{WorkspacePath}{path}?api-version={_options.ApiVersion}");

    /// <summary>The ARM id of the environment that runs the trainer image (registered on first submit).</summary>
    private string EnvironmentId => $"{WorkspacePath}/environments/lepton-trainer/versions/{EnvironmentVersion(_options.TrainerImage)}";

    public async Task<TrainingJobHandle> SubmitAsync(TrainingJobSubmission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        await SendAsync(RequestMethod.Put, $"/environments/lepton-trainer/versions/{EnvironmentVersion(_options.TrainerImage)}",
            new JsonObject { ["properties"] = new JsonObject { ["image"] = _options.TrainerImage, ["osType"] = "Linux" } }, cancellationToken).ConfigureAwait(false);

        // The job contract: the spec as a file of its own per job (the trainer binds data and output to the mounts).
        string jobId = submission.JobName;
        string specPath = $"runs/{submission.RunId}/jobs/{jobId}.json";
        await _store.WriteAsync(specPath, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Lepton.Core.Contracts.LeptonJson.Serialize(submission.Spec))), null, cancellationToken).ConfigureAwait(false);
        string output = new Uri(_options.StorageBlobEndpoint, $"runs/{submission.RunId}/").ToString();
        await SendAsync(RequestMethod.Put, $"/jobs/{jobId}", JobBody(submission, output, new Uri(_options.StorageBlobEndpoint, specPath).ToString()), cancellationToken).ConfigureAwait(false);
        return new TrainingJobHandle(Name, jobId, output, submission.Attempt, $"runs/{submission.RunId}");
    }

    public async Task<TrainingJobStatus> GetStatusAsync(TrainingJobHandle job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var document = await SendAsync(RequestMethod.Get, $"/jobs/{job.JobId}", null, cancellationToken).ConfigureAwait(false);
        var properties = document!.RootElement.GetProperty("properties");
        string status = properties.TryGetProperty("status", out var s) ? s.GetString() ?? "Unknown" : "Unknown";
        string? message = properties.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) ? m.GetString() : null;
        return new TrainingJobStatus(MapState(status), 0, 0, null, message ?? status);
    }

    public async Task CancelAsync(TrainingJobHandle job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var _ = await SendAsync(RequestMethod.Post, $"/jobs/{job.JobId}/cancel", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Azure ML job states to the pipeline's.</summary>
    public static TrainingJobState MapState(string status) => status switch
    {
        "NotStarted" or "Starting" or "Provisioning" or "Preparing" or "Queued" => TrainingJobState.Queued,
        "Running" or "Finalizing" or "CancelRequested" or "NotResponding" or "Paused" or "Unknown" => TrainingJobState.Running,
        "Completed" => TrainingJobState.Succeeded,
        "Failed" => TrainingJobState.Failed,
        "Canceled" => TrainingJobState.Canceled,
        _ => TrainingJobState.Running,
    };

    private JsonObject JobBody(TrainingJobSubmission s, string output, string spec)
    {
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        const string command = "dotnet /app/lepton-trainer.dll train --spec ${{inputs.spec}} --data ${{inputs.data}} --out ${{outputs.out}}";
        return new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["jobType"] = "Command",
                ["displayName"] = $"lepton {s.RunId} attempt {I(s.Attempt)}",
                ["experimentName"] = "lepton",
                ["computeId"] = $"{WorkspacePath}/computes/{_options.Cluster}",
                ["environmentId"] = EnvironmentId,
                ["command"] = command,
                ["inputs"] = new JsonObject
                {
                    ["spec"] = new JsonObject { ["jobInputType"] = "uri_file", ["uri"] = spec, ["mode"] = "Download" },
                    ["data"] = new JsonObject
                    {
                        ["jobInputType"] = "uri_folder",
                        ["uri"] = new Uri(_options.StorageBlobEndpoint, s.DatasetStorePath.TrimEnd('/') + "/").ToString(),
                        ["mode"] = "ReadOnlyMount",
                    },
                },
                ["outputs"] = new JsonObject
                {
                    ["out"] = new JsonObject { ["jobOutputType"] = "uri_folder", ["uri"] = output, ["mode"] = "ReadWriteMount" },
                },
                ["resources"] = new JsonObject { ["instanceCount"] = 1 },
            },
        };
    }

    private async Task<JsonDocument?> SendAsync(RequestMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(Url(path));
        message.Request.Headers.Add("Accept", "application/json");
        if (body is not null)
        {
            message.Request.Headers.Add("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(BinaryData.FromString(body.ToJsonString()));
        }

        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.IsError)
        {
            throw new RequestFailedException(response);
        }

        return response.ContentStream is { } stream && response.Headers.ContentLength is not 0 && response.Status != 202
            ? await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false)
            : null;
    }

    private static string EnvironmentVersion(string image) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(image)))[..12];
}

/// <summary>Client options of the Azure ML REST client (retries: exponential, honouring Retry-After).</summary>
public sealed class AzureMLClientOptions : ClientOptions
{
    public AzureMLClientOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 5;
        Retry.Delay = TimeSpan.FromSeconds(1);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
    }
}
