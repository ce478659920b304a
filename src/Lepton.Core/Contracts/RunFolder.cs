namespace Lepton.Core.Contracts;

/// <summary>
/// The folder one training run writes (locally under <c>{work}/runs/{runId}/</c>, in the store under
/// <c>runs/{runId}/</c>): its file names and layout, for the trainer, the compute targets, the
/// workspace, publishing, cards and the CLI.
/// </summary>
public sealed record RunFolder(string Path)
{
    /// <summary>The folder (local) and container (store) that holds every run.</summary>
    public const string Runs = "runs";

    /// <summary>The exported model.</summary>
    public const string Model = "model.onnx";

    /// <summary>The one evaluation: a classifier's test metrics or a generator's sample quality.</summary>
    public const string Metrics = "metrics.json";

    /// <summary>One record per epoch.</summary>
    public const string History = "history.json";

    /// <summary>The trainer's state and progress, rewritten while it runs.</summary>
    public const string Status = "status.json";

    /// <summary>The job spec the run trained with.</summary>
    public const string Spec = "job.json";

    /// <summary>A classifier's test-set predictions (for the card's mistakes).</summary>
    public const string Predictions = "predictions.json";

    /// <summary>A generator's sample grid.</summary>
    public const string Samples = "samples.png";

    /// <summary>Checkpoints, one folder per epoch, committed by <see cref="CheckpointMarker"/>.</summary>
    public const string Checkpoints = "checkpoints";

    /// <summary>Written last and atomically in <see cref="Checkpoints"/>: names the newest complete checkpoint.</summary>
    public const string CheckpointMarker = "last.json";

    /// <summary>The trainer's output, appended by a local compute target.</summary>
    public const string TrainerLog = "trainer.log";

    /// <summary>The files a published version's card is made from (those a run has).</summary>
    public static readonly IReadOnlyList<string> CardInputs = [Spec, History, Metrics, Predictions, Samples];

    /// <summary>The folder of run <paramref name="runId"/> under the local work folder.</summary>
    public static RunFolder Under(string workFolder, string runId) => new(System.IO.Path.Combine(workFolder, Runs, runId));

    /// <summary>The store path of run <paramref name="runId"/> (<c>runs/{runId}</c>).</summary>
    public static string StorePath(string runId) => $"{Runs}/{runId}";

    public string ModelPath => File(Model);

    public string MetricsPath => File(Metrics);

    public string HistoryPath => File(History);

    public string StatusPath => File(Status);

    public string SpecPath => File(Spec);

    public string PredictionsPath => File(Predictions);

    public string SamplesPath => File(Samples);

    public string CheckpointsPath => File(Checkpoints);

    public string TrainerLogPath => File(TrainerLog);

    /// <summary>A file of the run by name.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);
}
