using Lepton.Core.Registry;

namespace Lepton.Pipeline.Batch;

/// <summary>
/// A batch scoring job: every image of <see cref="Input"/> (a folder or .zip here, or a stored
/// <c>batch/{model}/{file}.zip</c>) scored by one version of a model, in chunks of <see cref="ChunkSize"/>
/// with at most <see cref="MaxConcurrentChunks"/> at once. The version is <see cref="Version"/>, else what
/// <see cref="Alias"/> (default: production, else the latest version) points to when the job starts.
/// </summary>
public sealed record BatchRequest(string ModelName, string Input, int? Version = null, string? Alias = null, int ChunkSize = BatchRequest.DefaultChunkSize, int MaxConcurrentChunks = 2)
{
    /// <summary>
    /// Images per chunk by default: one activity costs about a quarter of a second of dispatch on the in-process
    /// engine (bench/batch.sh: 10,000 images took 11.0 s in chunks of 256, 3.5 s in chunks of 1,024).
    /// </summary>
    public const int DefaultChunkSize = 1024;

    public const int MaxChunkSize = 4096;

    /// <summary>Every problem with the request (empty when it can run).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!RegistryNames.IsValidModelName(ModelName))
        {
            problems.Add($"'{ModelName}' is not a valid model name");
        }

        if (string.IsNullOrWhiteSpace(Input))
        {
            problems.Add("the input (a folder or .zip of images) is required");
        }

        if (Version is < 1)
        {
            problems.Add($"the version must be 1 or more, not {Version}");
        }

        if (ChunkSize is < 1 or > MaxChunkSize)
        {
            problems.Add($"the chunk size must be between 1 and {MaxChunkSize}, not {ChunkSize}");
        }

        if (MaxConcurrentChunks is < 1 or > 64)
        {
            problems.Add($"at most 1 to 64 chunks may run at once, not {MaxConcurrentChunks}");
        }

        return problems;
    }
}

/// <summary>The plan of a job: the version it scores with and its chunks (each a zip of images in the store).</summary>
public sealed record BatchPlan(string JobId, string ModelName, int Version, int Inputs, IReadOnlyList<string> Chunks);

/// <summary>Input of the score activity: one chunk.</summary>
public sealed record BatchChunkInput(string JobId, string ModelName, int Version, int Index, string Chunk);

/// <summary>An input that could not be scored, and why.</summary>
public sealed record BatchFailure(string Input, string Reason);

/// <summary>What one chunk gave: counts per label and the inputs that failed.</summary>
public sealed record BatchChunkResult(int Index, int Scored, IReadOnlyDictionary<string, int> PerLabel, IReadOnlyList<BatchFailure> Failures);

/// <summary>A finished job (<c>batch/{jobId}/summary.json</c>); the results are JSON lines at <see cref="Results"/>.</summary>
public sealed record BatchSummary(
    string JobId,
    string ModelName,
    int Version,
    int Inputs,
    int Scored,
    IReadOnlyDictionary<string, int> PerLabel,
    IReadOnlyList<BatchFailure> Failures,
    string Results);

/// <summary>One line of the results: the input's name and its best label, or why it was not scored.</summary>
public sealed record BatchResultLine(string Input, string? Label, double? Probability, IReadOnlyList<BatchTopClass>? Top, string? Error);

/// <summary>A class and its probability.</summary>
public sealed record BatchTopClass(string Label, double Probability);

/// <summary>Where a job keeps its files in the store.</summary>
public static class BatchPaths
{
    public const string Container = "batch";

    /// <summary>Whether an input names a stored file (<c>batch/{model}/{file}</c>) rather than a local folder or file.</summary>
    public static bool IsStoredInput(string input) =>
        input.StartsWith(Container + "/", StringComparison.Ordinal) && !Directory.Exists(input) && !File.Exists(input);

    public static string Chunk(string jobId, int index) => $"{Container}/{jobId}/chunks/{index:D5}.zip";

    public static string ChunkResults(string jobId, int index) => $"{Container}/{jobId}/results/{index:D5}.jsonl";

    public static string Results(string jobId) => $"{Container}/{jobId}/results.jsonl";

    public static string Summary(string jobId) => $"{Container}/{jobId}/summary.json";
}
