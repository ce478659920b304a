namespace Lepton.Core.Storage;

/// <summary>
/// Where artifacts live: a path is <c>{container}/{name...}</c> (containers: datasets, prepared, runs,
/// models). Two implementations: Azure Blob Storage and a local folder; one contract test suite runs
/// against both. Every write is whole or not at all: readers never see half an artifact.
/// </summary>
public interface IArtifactStore
{
    /// <summary>A human-readable description of where this store is (no secrets).</summary>
    string Location { get; }

    /// <summary>Metadata of an artifact, or null when it does not exist.</summary>
    Task<ArtifactInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Streams an artifact; throws <see cref="ArtifactNotFoundException"/> when it does not exist.</summary>
    Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Reads a small artifact whole, with the ETag of exactly those bytes, or null when it does not exist.</summary>
    Task<ArtifactContent?> ReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes an artifact from a stream. <paramref name="condition"/> makes it create-only
    /// (<see cref="WriteCondition.IfNotExists"/>) or a compare-and-swap on the ETag
    /// (<see cref="WriteCondition.IfMatch"/>); a failed condition throws <see cref="ArtifactConflictException"/>.
    /// </summary>
    Task<ArtifactInfo> WriteAsync(string path, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default);

    /// <summary>The paths under a prefix (recursively), in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Deletes an artifact; true when it existed.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default);
}

/// <summary>What a store knows about one artifact.</summary>
public sealed record ArtifactInfo(string Path, long Length, string ETag, DateTimeOffset LastModified);

/// <summary>A small artifact read whole, with its metadata.</summary>
public sealed record ArtifactContent(ArtifactInfo Info, BinaryData Data);

/// <summary>A precondition on a write.</summary>
public sealed record WriteCondition
{
    private WriteCondition(string? ifMatch, bool ifNotExists)
    {
        IfMatchETag = ifMatch;
        IfNotExistsOnly = ifNotExists;
    }

    public string? IfMatchETag { get; }

    public bool IfNotExistsOnly { get; }

    /// <summary>Only create; fail when the artifact exists.</summary>
    public static WriteCondition IfNotExists { get; } = new(null, true);

    /// <summary>Only replace the version with this ETag; fail when it changed or is gone.</summary>
    public static WriteCondition IfMatch(string etag) => new(etag ?? throw new ArgumentNullException(nameof(etag)), false);
}

/// <summary>An artifact that is not there.</summary>
public sealed class ArtifactNotFoundException(string path) : Exception($"artifact not found: {path}")
{
    public string ArtifactPath { get; } = path;
}

/// <summary>A conditional write whose condition did not hold (someone else wrote first).</summary>
public sealed class ArtifactConflictException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string ArtifactPath { get; } = path;
}
