using System.Globalization;
using System.Runtime.CompilerServices;

namespace Lepton.Core.Storage;

/// <summary>
/// Artifacts as files under a root folder (the zero-dependency default, like MLflow's ./mlruns).
/// Writes go to a hidden temporary file and are renamed into place; conditional writes hold an
/// exclusive lock file, so they are safe across threads and processes. The ETag is the file's
/// last-write time and length.
/// </summary>
public sealed class FolderArtifactStore : IArtifactStore
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly string _root;

    public FolderArtifactStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Location => _root;

    private string FullPath(string path)
    {
        ArtifactPath.Validate(path);
        return Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar));
    }

    public Task<ArtifactInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(FullPath(path));
        return Task.FromResult(file.Exists ? Info(path, file) : null);
    }

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        string full = FullPath(path);
        try
        {
            return Task.FromResult<Stream>(new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArtifactNotFoundException(path);
        }
    }

    public async Task<ArtifactContent?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        string full = FullPath(path);
        for (int attempt = 0; ; attempt++)
        {
            var before = new FileInfo(full);
            if (!before.Exists)
            {
                return null;
            }

            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(full, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }

            var info = Info(path, before);
            var after = new FileInfo(full);
            if ((after.Exists && Info(path, after).ETag == info.ETag && bytes.Length == info.Length) || attempt >= 100)
            {
                return new ArtifactContent(info, BinaryData.FromBytes(bytes));
            }
        }
    }

    public async Task<ArtifactInfo> WriteAsync(string path, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        string full = FullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }

            if (condition is null)
            {
                File.Move(temp, full, overwrite: true);
            }
            else
            {
                using var fileLock = await AcquireLockAsync(full, cancellationToken).ConfigureAwait(false);
                var current = new FileInfo(full);
                if (condition.IfNotExistsOnly && current.Exists)
                {
                    throw new ArtifactConflictException(path, "already exists");
                }

                if (condition.IfMatchETag is string etag && (!current.Exists || Info(path, current).ETag != etag))
                {
                    throw new ArtifactConflictException(path, current.Exists ? "changed since it was read (ETag mismatch)" : "no longer exists");
                }

                File.Move(temp, full, overwrite: true);
            }

            return Info(path, new FileInfo(full));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArtifactPath.ValidatePrefix(prefix);
        string container = prefix.Split('/')[0];
        string dir = Path.Combine(_root, container);
        if (!Directory.Exists(dir))
        {
            yield break;
        }

        var paths = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => Path.GetRelativePath(_root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (string path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return path;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        string full = FullPath(path);
        bool existed = File.Exists(full);
        File.Delete(full);
        return Task.FromResult(existed);
    }

    private static ArtifactInfo Info(string path, FileInfo file) => new(
        path,
        file.Length,
        string.Create(CultureInfo.InvariantCulture, $"\"{file.LastWriteTimeUtc.Ticks:x}-{file.Length:x}\""),
        file.LastWriteTimeUtc);

    private static async Task<FileStream> AcquireLockAsync(string full, CancellationToken cancellationToken)
    {
        string lockPath = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.lock");
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(Random.Shared.Next(1, 10), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
