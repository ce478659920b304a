using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Lepton.Core.Contracts;
using Lepton.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lepton.Pipeline.Compute;

/// <summary>Where and how Azure Machine Learning runs the trainer.</summary>
public sealed record AzureMLOptions
{
    public required string SubscriptionId { get; init; }

    public required string ResourceGroup { get; init; }

    public required string Workspace { get; init; }

    /// <summary>The AmlCompute cluster (scaling to zero); its user-assigned identity is the job's identity.</summary>
    public required string Cluster { get; init; }

    /// <summary>The trainer's container image pinned by digest: <c>{registry}/lepton-trainer@sha256:{hex}</c>.</summary>
    public required string TrainerImage { get; init; }

    /// <summary>The workspace's identity-based datastore over the store's <c>prepared</c> container.</summary>
    public required string PreparedDatastore { get; init; }

    /// <summary>The workspace's identity-based datastore over the store's <c>runs</c> container.</summary>
    public required string RunsDatastore { get; init; }

    /// <summary>How long a job may stay NotResponding or Paused before the target reports it failed.</summary>
    public TimeSpan UnresponsiveTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Azure Resource Manager; a test points it at a local fake.</summary>
    public Uri Endpoint { get; init; } = new("https://management.azure.com");

    /// <summary>A current stable Azure ML REST API version.</summary>
    public string ApiVersion { get; init; } = "2024-10-01";

    public const string Scope = "https://management.azure.com/.default";

    /// <summary>The Azure ML environment version of <see cref="TrainerImage"/>: its digest's hex (a rebuilt image is a new version).</summary>
    public string EnvironmentVersion => TrainerImageDigest(TrainerImage)
        ?? throw new InvalidOperationException($"the trainer image must be pinned by digest (registry/lepton-trainer@sha256:...), not '{TrainerImage}'");

    /// <summary>The 64 hex digits of an image reference's <c>@sha256:</c> digest, or null when it has none.</summary>
    public static string? TrainerImageDigest(string? image)
    {
        int at = image?.LastIndexOf("@sha256:", StringComparison.Ordinal) ?? -1;
        if (at <= 0)
        {
            return null;
        }

        string hex = image![(at + "@sha256:".Length)..];
        return hex.Length == 64 && hex.All(char.IsAsciiHexDigitLower) ? hex : null;
    }
}

/// <summary>
/// Runs the trainer as an Azure Machine Learning command job through the ARM REST API (no Azure ML
/// client library exists for .NET): <c>PUT .../jobs/{name}</c> to submit, <c>GET</c> for status,
/// <c>POST .../cancel</c>. Requests go through an Azure.Core pipeline with a bearer token for ARM (the
/// app's managed identity in Azure), whose retry policy honours 429 Retry-After and retries 5xx.
/// The job reaches its data through the workspace's identity-based datastores
/// (<c>azureml://datastores/{name}/paths/...</c>) as the cluster's managed identity
/// (<c>"identity": {"identityType": "Managed"}</c>): the spec file and the prepared dataset in, the run's
/// folder out (docs/deploy.md).
/// </summary>
public sealed partial class AzureMLComputeTarget : IComputeTarget
{
    public const string TargetName = "azureml";

    /// <summary>Azure ML states in which a job may hang: they get <see cref="AzureMLOptions.UnresponsiveTimeout"/>, not the run's deadline.</summary>
    private static readonly string[] UnresponsiveStates = ["NotResponding", "Paused"];

    private readonly AzureMLOptions _options;
    private readonly IArtifactStore _store;
    private readonly HttpPipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="store">The artifact store the job reads and writes (prepared/, runs/), the account the datastores point at: the job's spec is written there.</param>
    /// <param name="time">The clock of the unresponsive timeout (a test moves it).</param>
    public AzureMLComputeTarget(AzureMLOptions options, IArtifactStore store, TokenCredential credential, ClientOptions? clientOptions = null, TimeProvider? time = null, ILogger<AzureMLComputeTarget>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(credential);
        _ = options.EnvironmentVersion; // a tag is refused here, not at the first submit
        _options = options;
        _store = store;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _pipeline = HttpPipelineBuilder.Build(clientOptions ?? new AzureMLClientOptions(), new BearerTokenAuthenticationPolicy(credential, AzureMLOptions.Scope));
    }

    public string Name => TargetName;

    private string WorkspacePath =>
        $"/subscriptions/{_options.SubscriptionId}/resourceGroups/{_options.ResourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{_options.Workspace}";

    private Uri Url(string path) => new(_options.Endpoint, $"{WorkspacePath}{path}?api-version={_options.ApiVersion}");

    /// <summary>The ARM id of the environment that runs the trainer image (registered on submit; a PUT of the same version is a no-op).</summary>
    private string EnvironmentPath => $"/environments/lepton-trainer/versions/{_options.EnvironmentVersion}";

    /// <summary>A path in a datastore as Azure ML names it.</summary>
    public static string DatastoreUri(string datastore, string path) => $"azureml://datastores/{datastore}/paths/{path}";

    public async Task<TrainingJobHandle> SubmitAsync(TrainingJobSubmission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        using var _ = await SendAsync(RequestMethod.Put, EnvironmentPath,
            new JsonObject { ["properties"] = new JsonObject { ["image"] = _options.TrainerImage, ["osType"] = "Linux" } }, cancellationToken).ConfigureAwait(false);

        // The job contract: the spec as a file of its own per job (the trainer binds data and output to the mounts).
        string jobName = submission.JobName;
        string runFolder = RunFolder.StorePath(submission.RunId);
        string specPath = $"{runFolder}/jobs/{jobName}.json";
        await _store.WriteAsync(specPath, new MemoryStream(Encoding.UTF8.GetBytes(LeptonJson.Serialize(submission.Spec))), null, cancellationToken).ConfigureAwait(false);

        string output = DatastoreUri(_options.RunsDatastore, $"{submission.RunId}/");
        var body = JobBody(submission,
            spec: DatastoreUri(_options.RunsDatastore, $"{submission.RunId}/jobs/{jobName}.json"),
            data: DatastoreUri(_options.PreparedDatastore, InContainer(submission.DatasetStorePath, PipelineWorkspace.PreparedContainer) + "/"),
            output: output);
        using var __ = await SendAsync(RequestMethod.Put, $"/jobs/{jobName}", body, cancellationToken).ConfigureAwait(false);
        LogSubmitted(_logger, jobName, submission.RunId, submission.Attempt);
        return new TrainingJobHandle(Name, jobName, output, submission.Attempt, runFolder);
    }

    public async Task<TrainingJobStatus> GetStatusAsync(TrainingJobHandle job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var document = await SendAsync(RequestMethod.Get, $"/jobs/{job.JobId}", null, cancellationToken).ConfigureAwait(false);
        var properties = document!.RootElement.GetProperty("properties");
        string status = properties.TryGetProperty("status", out var s) ? s.GetString() ?? "Unknown" : "Unknown";
        string? message = properties.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) ? m.GetString() : null;
        var result = new TrainingJobStatus(MapState(status), 0, 0, null, message ?? status);
        return await WatchUnresponsiveAsync(job, status, result, cancellationToken).ConfigureAwait(false);
    }

    public async Task CancelAsync(TrainingJobHandle job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var _ = await SendAsync(RequestMethod.Post, $"/jobs/{job.JobId}/cancel", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The cluster's node count (<c>scaleSettings.maxNodeCount</c>): a node runs one job.</summary>
    public async Task<int> CapacityAsync(CancellationToken cancellationToken = default)
    {
        using var document = await SendAsync(RequestMethod.Get, $"/computes/{_options.Cluster}", null, cancellationToken).ConfigureAwait(false);
        return document is not null
            && document.RootElement.TryGetProperty("properties", out var compute)
            && compute.TryGetProperty("properties", out var cluster) && cluster.ValueKind == JsonValueKind.Object
            && cluster.TryGetProperty("scaleSettings", out var scale) && scale.TryGetProperty("maxNodeCount", out var nodes) && nodes.TryGetInt32(out int count) && count > 0
            ? count
            : 1;
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

    /// <summary>Where the target notes when it first saw a job NotResponding or Paused: in the store, beside the job's spec.</summary>
    public static string UnresponsiveMarkerPath(TrainingJobHandle job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return $"{job.OutputStorePath}/jobs/{job.JobId}.unresponsive.json";
    }

    /// <summary>
    /// A job NotResponding or Paused for longer than the timeout is reported failed (and canceled, so it
    /// stops holding a node); the pipeline then resubmits it within its attempt budget. The first time the
    /// state was seen is kept in the store, not in memory: the status activity may run on another instance
    /// or after a host restart, and each poll is a fresh activity call. Any other state clears the note, so
    /// a job that recovers and hangs again gets the whole timeout again; NotResponding then Paused is one spell.
    /// </summary>
    private async Task<TrainingJobStatus> WatchUnresponsiveAsync(TrainingJobHandle job, string status, TrainingJobStatus result, CancellationToken cancellationToken)
    {
        string marker = UnresponsiveMarkerPath(job);
        if (!UnresponsiveStates.Contains(status))
        {
            if (await _store.GetInfoAsync(marker, cancellationToken).ConfigureAwait(false) is not null)
            {
                await _store.DeleteAsync(marker, cancellationToken).ConfigureAwait(false);
            }

            return result;
        }

        var now = _time.GetUtcNow();
        var stored = await _store.ReadAsync(marker, cancellationToken).ConfigureAwait(false);
        var note = stored is null ? null : JsonSerializer.Deserialize<UnresponsiveNote>(stored.Data.ToString(), NoteJson);
        if (note is null)
        {
            note = new UnresponsiveNote(status, now);
            await _store.WriteAsync(marker, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(note, NoteJson)), null, cancellationToken).ConfigureAwait(false);
            LogUnresponsive(_logger, job.JobId, status);
        }

        var waited = now - note.Since;
        if (waited <= _options.UnresponsiveTimeout)
        {
            return result with { Message = $"{status} (unresponsive since {note.Since:u})" };
        }

        string reason = $"the Azure ML job {job.JobId} was {status} for {waited.TotalMinutes:0} minutes (limit {_options.UnresponsiveTimeout.TotalMinutes:0}): counted as failed";
        LogGaveUp(_logger, job.JobId, status, waited);
        try
        {
            await CancelAsync(job, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            LogCancelFailed(_logger, ex, job.JobId);
        }

        return new TrainingJobStatus(TrainingJobState.Failed, 0, 0, null, reason);
    }

    private sealed record UnresponsiveNote(string State, DateTimeOffset Since);

    private static readonly JsonSerializerOptions NoteJson = new(JsonSerializerDefaults.Web);

    /// <summary>A store path inside <paramref name="container"/> without the container: prepared/abc -> abc.</summary>
    private static string InContainer(string storePath, string container)
    {
        string trimmed = storePath.Trim('/');
        return trimmed.StartsWith(container + "/", StringComparison.Ordinal)
            ? trimmed[(container.Length + 1)..]
            : throw new InvalidOperationException($"'{storePath}' is not in the store's {container} container, which the {container} datastore names");
    }

    private JsonObject JobBody(TrainingJobSubmission s, string spec, string data, string output)
    {
        const string command = "dotnet /app/lepton-trainer.dll train --spec ${{inputs.spec}} --data ${{inputs.data}} --out ${{outputs.out}}";
        return new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["jobType"] = "Command",
                ["displayName"] = $"lepton {s.RunId} attempt {s.Attempt.ToString(CultureInfo.InvariantCulture)}",
                ["experimentName"] = "lepton",
                ["computeId"] = $"{WorkspacePath}/computes/{_options.Cluster}",
                ["environmentId"] = $"{WorkspacePath}{EnvironmentPath}",
                ["command"] = command,
                // The compute's managed identity (the cluster has one: its user-assigned identity) mounts
                // the datastores and is what the job runs as; no token of the submitter travels.
                ["identity"] = new JsonObject { ["identityType"] = "Managed" },
                ["inputs"] = new JsonObject
                {
                    ["spec"] = new JsonObject { ["jobInputType"] = "uri_file", ["uri"] = spec, ["mode"] = "Download" },
                    ["data"] = new JsonObject { ["jobInputType"] = "uri_folder", ["uri"] = data, ["mode"] = "ReadOnlyMount" },
                },
                ["outputs"] = new JsonObject
                {
                    ["out"] = new JsonObject { ["jobOutputType"] = "uri_folder", ["uri"] = output, ["mode"] = "ReadWriteMount" },
                },
                ["resources"] = new JsonObject { ["instanceCount"] = 1 },
                ["tags"] = new JsonObject { ["lepton-run"] = s.RunId, ["lepton-attempt"] = s.Attempt.ToString(CultureInfo.InvariantCulture) },
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

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Submitted Azure ML job {JobName} for run {RunId}, attempt {Attempt}")]
    private static partial void LogSubmitted(ILogger logger, string jobName, string runId, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Azure ML job {JobName} is {State}")]
    private static partial void LogUnresponsive(ILogger logger, string jobName, string state);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Azure ML job {JobName} was {State} for {Waited}: reporting it failed")]
    private static partial void LogGaveUp(ILogger logger, string jobName, string state, TimeSpan waited);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Azure ML job {JobName} could not be canceled")]
    private static partial void LogCancelFailed(ILogger logger, Exception exception, string jobName);
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
