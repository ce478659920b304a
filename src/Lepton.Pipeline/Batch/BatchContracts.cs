using Lepton.Core.Registry;

namespace Lepton.Pipeline.Batch;

/// <summary>
/// A batch scoring job: every image of <see cref="Input"/> (a folder or .zip here, or a stored
/// <c>batch/{model}/{file}.zip</c>), or every row of a table file (.csv, .tsv, .jsonl) for a text or table
/// model, scored by one version of a model, in chunks of <see cref="ChunkSize"/> with at most <see cref="MaxConcurrentChunks"/> at once. The version is <see cref="Version"/>, else what
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
            problems.Add("the input (a folder or .zip of images, or a table file of rows) is required");
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

/// <summary>What a job's inputs are: pictures (a folder or a .zip) or the rows of a table file (CSV, TSV, JSON lines).</summary>
public enum BatchInputKind
{
    Images,
    Rows,
}

/// <summary>
/// The plan of a job: the version it scores with and its input, read where it is (a local folder or file,
/// or a stored file at <see cref="InputETag"/>); chunk <c>i</c> is inputs <c>[i * ChunkSize, (i + 1) * ChunkSize)</c>
/// in the input's order (names in ordinal order for pictures, file order for rows).
/// </summary>
public sealed record BatchPlan(string JobId, string ModelName, int Version, BatchInputKind Kind, string Input, string? InputETag, int Inputs, int ChunkSize)
{
    public int Chunks => (Inputs + ChunkSize - 1) / ChunkSize;
}

/// <summary>Input of the score activity: one chunk of a plan.</summary>
public sealed record BatchChunkInput(BatchPlan Plan, int Index);

/// <summary>An input that could not be scored, and why.</summary>
public sealed record BatchFailure(string Input, string Reason);

/// <summary>
/// What one chunk gave: counts per label and the inputs that failed; <see cref="Kept"/> when its results
/// were in the store before the activity ran (scored before a crash: read back, not scored again).
/// </summary>
public sealed record BatchChunkResult(int Index, int Scored, IReadOnlyDictionary<string, int> PerLabel, IReadOnlyList<BatchFailure> Failures, bool Kept = false);

/// <summary>
/// A finished job (<c>batch/{jobId}/summary.json</c>); the results are JSON lines at <see cref="Results"/>.
/// <see cref="ChunksKept"/> of the <see cref="Chunks"/> were found scored when their activity ran (after a crash).
/// </summary>
public sealed record BatchSummary(
    string JobId,
    string ModelName,
    int Version,
    int Inputs,
    int Scored,
    IReadOnlyDictionary<string, int> PerLabel,
    IReadOnlyList<BatchFailure> Failures,
    string Results,
    int Chunks = 0,
    int ChunksKept = 0);

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

    /// <summary>
    /// The model and file of an upload that starts a job (<c>batch/{model}/{file}</c>, the file an archive of
    /// pictures or a table file), or null for anything else in the container: a job's own files
    /// (<c>batch/{jobId}/...</c>, see <see cref="IsJobId"/>), nested paths, other kinds of file.
    /// </summary>
    public static (string Model, string File)? ParseUpload(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] parts = path.Split('/');
        return parts.Length == 3 && parts[0] == Container && RegistryNames.IsValidModelName(parts[1]) && !IsJobId(parts[1]) && IsInputFile(parts[2])
            ? (parts[1], parts[2])
            : null;
    }

    /// <summary>The files a job reads: a .zip of pictures or a table file (.csv, .tsv, .jsonl, .ndjson).</summary>
    public static bool IsInputFile(string file) =>
        file.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || Core.Data.Tables.TableFile.IsTableFile(file);

    /// <summary>Whether a name is a job's id (<c>{model}-batch-{24 hex digits}</c>, <see cref="BatchEngine.InstanceId"/>): its folder holds the job's files.</summary>
    public static bool IsJobId(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, "-batch-[0-9a-f]{24}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static string ChunkResults(string jobId, int index) => $"{Container}/{jobId}/results/{index:D5}.jsonl";

    public static string Results(string jobId) => $"{Container}/{jobId}/results.jsonl";

    public static string Summary(string jobId) => $"{Container}/{jobId}/summary.json";
}
