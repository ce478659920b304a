using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Lepton.Core.Contracts;
using Lepton.Core.Evaluation;
using Lepton.Core.Registry;
using Microsoft.DurableTask.Client;

namespace Lepton.Pipeline;

/// <summary>What a pipeline run is asked to do. Small and serializable: it carries paths, not data.</summary>
public sealed record PipelineRequest
{
    /// <summary>The registry name the trained model is published under.</summary>
    public required string ModelName { get; init; }

    /// <summary>A dataset folder with the four IDX files, or a .zip / .tar.gz archive holding them.</summary>
    public required string Dataset { get; init; }

    /// <summary>
    /// The training job (docs/job-spec.md), without <c>data</c> and <c>output</c>: every compute target
    /// sets those, writes the spec as job.json and starts <c>lepton-trainer train --spec job.json</c>.
    /// </summary>
    public TrainingJobSpec Training { get; init; } = new();

    /// <summary>The least test accuracy that earns a classifier promotion to production.</summary>
    public double MinimumAccuracy { get; init; }

    /// <summary>The largest Fréchet distance that earns a generator promotion (null: only "not worse than production").</summary>
    public double? MaximumFrechetDistance { get; init; }

    /// <summary>How many times a failed training job is submitted in all (each resumes from its last checkpoint).</summary>
    public int MaxTrainingAttempts { get; init; } = 3;

    /// <summary>How often the job's status is polled.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long training may take in all before the run fails.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Testing aid: the first training attempt exits with a failure after this epoch (a crash to recover from).</summary>
    public int? CrashFirstAttemptAfterEpoch { get; init; }

    /// <summary>Every problem with the request, empty when it can run; checked before anything is submitted.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!RegistryNames.IsValidModelName(ModelName))
        {
            errors.Add($"invalid model name '{ModelName}'");
        }

        if (string.IsNullOrWhiteSpace(Dataset))
        {
            errors.Add("dataset: a dataset folder, archive or uploaded blob is required");
        }

        if (Training is null)
        {
            errors.Add("training: the training job is required");
            return errors;
        }

        if (Training.Data.Length > 0 || Training.Output.Length > 0)
        {
            errors.Add("training: data and output are set by the compute target; give the dataset as 'dataset'");
        }

        // The spec's own checks, with the paths the compute target will fill in; a sweep's, trial by trial.
        errors.AddRange((Training with { Data = "-", Output = "-" }).Validate(KnownArchitectures.Names));
        if (Training.Sweep is not null && errors.Count == 0)
        {
            errors.AddRange(Orchestration.SweepPlan.Problems(Training));
        }
        if (MinimumAccuracy is < 0 or > 1 || double.IsNaN(MinimumAccuracy))
        {
            errors.Add($"minimum accuracy must be in [0, 1], not {MinimumAccuracy}");
        }

        if (MaximumFrechetDistance is double frechet && !(frechet > 0))
        {
            errors.Add($"maximum Fréchet distance must be positive, not {frechet}");
        }

        if (MaxTrainingAttempts is < 1 or > 20)
        {
            errors.Add($"training attempts must be between 1 and 20, not {MaxTrainingAttempts}");
        }

        if (PollInterval <= TimeSpan.Zero || Deadline <= TimeSpan.Zero)
        {
            errors.Add("poll interval and deadline must be positive");
        }

        return errors;
    }

    /// <summary>Throws <see cref="InvalidPipelineRequestException"/> listing every problem when the request cannot run.</summary>
    public void EnsureValid()
    {
        RegistryNames.ValidateModelName(ModelName); // its own exception and message, as everywhere
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new InvalidPipelineRequestException($"invalid pipeline request: {string.Join("; ", errors)}");
        }
    }
}

/// <summary>A pipeline request that cannot run; the message lists every problem (HTTP 400, a CLI message).</summary>
public sealed class InvalidPipelineRequestException(string message) : Exception(message);

/// <summary>
/// Training settings that travel with an upload: <c>datasets/{model}/lepton.json</c> beside the archive.
/// A flat JSON object of training job fields (docs/job-spec.md, without <c>data</c>/<c>output</c>) and the
/// gate's <c>minimumAccuracy</c> / <c>maximumFrechetDistance</c>; what is given overrides the defaults.
/// </summary>
public sealed class UploadSettings
{
    public const string FileName = "lepton.json";

    private static readonly string[] GateFields = ["minimumAccuracy", "maximumFrechetDistance"];

    private readonly JsonObject _training;

    private UploadSettings(JsonObject training, double? minimumAccuracy, double? maximumFrechetDistance)
    {
        _training = training;
        MinimumAccuracy = minimumAccuracy;
        MaximumFrechetDistance = maximumFrechetDistance;
    }

    public double? MinimumAccuracy { get; }

    public double? MaximumFrechetDistance { get; }

    /// <summary>Reads lepton.json; unknown or mistyped fields are refused with <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public static UploadSettings Parse(string json, string source)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source}: must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }

        double? Gate(string name)
        {
            var key = root.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                return null;
            }

            var node = root[key];
            root.Remove(key);
            return node is JsonValue value && value.TryGetValue(out double number)
                ? number
                : throw new InvalidDataException($"{source}: {name} must be a number");
        }

        double? minimum = Gate(GateFields[0]);
        double? maximum = Gate(GateFields[1]);
        foreach (string path in new[] { "data", "output" })
        {
            if (root.Any(p => string.Equals(p.Key, path, StringComparison.OrdinalIgnoreCase)))
            {
                throw new InvalidDataException($"{source}: '{path}' cannot be set here (the upload is the data; the compute target picks the output)");
            }
        }

        // Type-check every training field now (unknown fields refused), so a bad file is refused at upload.
        _ = LeptonJson.Deserialize<TrainingJobSpec>(root.ToJsonString(), source);
        return new UploadSettings(root, minimum, maximum);
    }

    /// <summary>The request with these settings over it.</summary>
    public PipelineRequest ApplyTo(PipelineRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request with
        {
            Training = ApplyTo(request.Training),
            MinimumAccuracy = MinimumAccuracy ?? request.MinimumAccuracy,
            MaximumFrechetDistance = MaximumFrechetDistance ?? request.MaximumFrechetDistance,
        };
    }

    /// <summary>The training job spec with these settings' training fields over it.</summary>
    public TrainingJobSpec ApplyTo(TrainingJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var merged = JsonNode.Parse(LeptonJson.Serialize(spec))!.AsObject();
        foreach (var (key, value) in _training)
        {
            var existing = merged.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (existing is not null)
            {
                merged.Remove(existing);
            }

            merged[key] = value?.DeepClone();
        }

        return LeptonJson.Deserialize<TrainingJobSpec>(merged.ToJsonString(), FileName);
    }
}

/// <summary>A validated dataset in canonical form, identified by the SHA-256 of its content.</summary>
public sealed record PreparedDataset(string Version, string Folder, int TrainExamples, int TestExamples, IReadOnlyList<string> Labels, bool Reused)
{
    /// <summary>Where the canonical folder is in the artifact store.</summary>
    public string StorePath => $"{PipelineWorkspace.PreparedContainer}/{Version}";

    /// <summary>The pictures of an image-folder upload that could not be read and were left out, "path: problem" each.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    /// <summary>What the data holds: pictures, texts or table rows (what <c>--arch auto</c> is resolved by).</summary>
    public DataKind Kind { get; init; } = DataKind.Image;
}

/// <summary>A training job on a compute target.</summary>
/// <param name="OutputFolder">Where the trainer writes: a local folder, or the blob folder a cloud job mounts.</param>
/// <param name="OutputStorePath">The same folder as an artifact-store path (<c>runs/{runId}</c>) when it is in the store.</param>
public sealed record TrainingJobHandle(string Target, string JobId, string OutputFolder, int Attempt, string? OutputStorePath = null);

/// <summary>The states the pipeline distinguishes, whatever the compute target calls them.</summary>
public enum TrainingJobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>A poll of a training job: its state, progress and, when it ended badly, why.</summary>
public sealed record TrainingJobStatus(TrainingJobState State, int Epoch, int TotalEpochs, double? ValidationAccuracy, string? Message)
{
    public bool IsTerminal => State is TrainingJobState.Succeeded or TrainingJobState.Failed or TrainingJobState.Canceled;
}

/// <summary>Where a pipeline run is (serialized by its camelCase name: <c>"training"</c>).</summary>
[JsonConverter(typeof(CamelCaseEnumConverter<PipelineStage>))]
public enum PipelineStage
{
    Preparing,
    Training,
    Canceled,
    Evaluating,
    Publishing,
    Done,
}

/// <summary>An enum as its camelCase name, whatever serializer options carry it (Durable's custom status has its own).</summary>
public sealed class CamelCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase)
    where T : struct, Enum;

/// <summary>
/// What the orchestration shows while it runs (its custom status). <see cref="ValidationAccuracy"/> is the
/// trainer's latest on its validation split; <see cref="TestAccuracy"/> the exported model's on the test
/// split, once evaluated (a classifier's).
/// </summary>
public sealed record PipelineProgress(PipelineStage Stage, int Attempt, int Epoch, int TotalEpochs, double? ValidationAccuracy, string? Message)
{
    /// <summary>The run (its folder: <c>runs/{runId}</c>), once the dataset is prepared.</summary>
    public string? RunId { get; init; }

    public double? TestAccuracy { get; init; }

    /// <summary>Pictures of an image-folder upload that preparation skipped, "path: problem" each (<see cref="PreparedDataset.Skipped"/>).</summary>
    public IReadOnlyList<string>? Skipped { get; init; }

    /// <summary>A sweep's trials as they stand (null: not a sweep).</summary>
    public IReadOnlyList<TrialProgress>? Trials { get; init; }

    /// <summary>The best trial so far by validation accuracy (its <see cref="TrialProgress.Trial"/>).</summary>
    public int? BestTrial { get; init; }
}

/// <summary>Where a sweep's trial is (serialized by its camelCase name).</summary>
[JsonConverter(typeof(CamelCaseEnumConverter<TrialState>))]
public enum TrialState
{
    Pending,
    Running,

    /// <summary>Stopped early (median stopping) or by a cancel: its job was canceled.</summary>
    Stopped,
    Succeeded,
    Failed,
}

/// <summary>
/// One trial of a sweep: its number (1-based), the settings it changes, where it is, and its validation
/// accuracy after each epoch seen (<see cref="ValidationAccuracies"/>[k-1] after epoch k; null when not seen).
/// </summary>
public sealed record TrialProgress(int Trial, string Settings, string RunId, TrialState State, int Epoch, int TotalEpochs, IReadOnlyList<double?> ValidationAccuracies, string? Message)
{
    /// <summary>The latest validation accuracy seen.</summary>
    [JsonIgnore]
    public double? ValidationAccuracy => ValidationAccuracies.LastOrDefault(a => a is not null);
}

/// <summary>Input of the publish activity.</summary>
public sealed record PublishRequest(string ModelName, TrainingJobHandle Job, PreparedDataset Dataset, RunMetrics Metrics, string RunId)
{
    /// <summary>A sweep's trials (null: one run); <see cref="Job"/> is then the best trial's.</summary>
    public SweepOutcome? Sweep { get; init; }
}

/// <summary>How a sweep ended: every trial and the best one (by validation accuracy), for the card and <c>runs/{id}/sweep.json</c>.</summary>
public sealed record SweepOutcome(string SweepId, int BestTrial, IReadOnlyList<TrialProgress> Trials)
{
    public const string FileName = "sweep.json";

    [JsonIgnore]
    public TrialProgress Best => Trials.First(t => t.Trial == BestTrial);
}

/// <summary>A published version and the figure its gate used (accuracy, or a generator's Fréchet distance).</summary>
public sealed record PublishedVersion(int Version, double? Accuracy, double? FrechetDistance)
{
    public static PublishedVersion From(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new PublishedVersion(
            manifest.Version,
            manifest.Metrics.TryGetValue(ManifestMetrics.Accuracy, out double accuracy) ? accuracy : null,
            manifest.Metrics.TryGetValue(ManifestMetrics.FrechetDistance, out double distance) ? distance : null);
    }
}

/// <summary>Input of the promote activity. A generator is gated on <paramref name="FrechetDistance"/> (lower is
/// better) against <paramref name="MaximumFrechetDistance"/> instead of accuracy.</summary>
public sealed record PromotionRequest(
    string ModelName,
    int Version,
    double Accuracy,
    double MinimumAccuracy,
    double? FrechetDistance = null,
    double? MaximumFrechetDistance = null);

/// <summary>The quality gate's decision and why.</summary>
public sealed record PromotionDecision(bool Promoted, int? PreviousProduction, string Reason);

/// <summary>How a run ended.</summary>
public enum PipelineOutcome
{
    Published,
    Canceled,

    /// <summary>A version was published from the same data and settings before: nothing trained, nothing new published.</summary>
    AlreadyPublished,
}

/// <summary>The result of a pipeline run.</summary>
public sealed record PipelineResult(
    PipelineOutcome Outcome,
    string ModelName,
    int? Version,
    double? Accuracy,
    bool Promoted,
    string Reason,
    string DatasetVersion,
    string RunId,
    int TrainingAttempts)
{
    /// <summary>A generator's Fréchet distance (its gate's figure; null for a classifier).</summary>
    public double? FrechetDistance { get; init; }

    /// <summary>A sweep's trials and the best one (null: one run, or nothing trained).</summary>
    public SweepOutcome? Sweep { get; init; }

    /// <summary>The figure the gate used, named for what it is: a classifier's test accuracy or a generator's Fréchet distance.</summary>
    public string Figure() => Accuracy is double accuracy
        ? string.Create(CultureInfo.InvariantCulture, $"test accuracy {accuracy:F4}")
        : FrechetDistance is double distance
            ? string.Create(CultureInfo.InvariantCulture, $"Fréchet distance {distance:F2}")
            : "no figure";
}

/// <summary>
/// A pipeline run as <c>GET /api/pipelines/{id}</c> answers it and <c>lepton datasets upload --wait</c>
/// reads it: Durable's state of the instance, the run's progress and, once it has ended, its result or
/// why it failed. One record on both ends, serialized with <see cref="JsonOptions"/>.
/// </summary>
public sealed record PipelineRunStatus(
    string Id,
    OrchestrationRuntimeStatus Status,
    PipelineProgress? Progress,
    PipelineResult? Result,
    string? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt)
{
    /// <summary>Web defaults with enums as their names (<c>"status": "Completed"</c>, <c>"outcome": "Published"</c>).</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new CamelCaseEnumConverter<PipelineStage>(), new CamelCaseEnumConverter<TrialState>(), new JsonStringEnumConverter() }, // the stage and trial states as the custom status writes them
    };

    /// <summary>Whether the run has ended (completed, failed or terminated).</summary>
    [JsonIgnore]
    public bool Ended => Status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    public static PipelineRunStatus From(OrchestrationMetadata state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new PipelineRunStatus(
            state.InstanceId,
            state.RuntimeStatus,
            state.ReadCustomStatusAs<PipelineProgress>(),
            state.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? state.ReadOutputAs<PipelineResult>() : null,
            // Durable Functions' isolated client fills FailureDetails; older hubs keep the message as the output.
            state.RuntimeStatus == OrchestrationRuntimeStatus.Failed ? state.FailureDetails?.ErrorMessage ?? state.SerializedOutput : null,
            state.CreatedAt,
            state.LastUpdatedAt);
    }
}
