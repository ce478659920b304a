using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Lepton.Core.Storage;

/// <summary>
/// Artifacts as blobs: the first path segment is the container (created on first write), the rest the
/// blob name. Conditional writes use the service's own preconditions (If-None-Match: * and If-Match).
/// </summary>
public sealed class BlobArtifactStore(BlobServiceClient service) : IArtifactStore
{
    private readonly ConcurrentDictionary<string, Task> _created = new(StringComparer.Ordinal);

    /// <summary>The service's address without query string or user info: a SAS token is never shown.</summary>
    public string Location => Describe(service.Uri);

    /// <summary>Scheme, host, port and path of <paramref name="uri"/>; the query (SAS), fragment and user info dropped.</summary>
    public static string Describe(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsAbsoluteUri ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : "(blob service)";
    }

    private BlobClient Blob(string path)
    {
        var (container, name) = ArtifactPath.Split(path);
        return service.GetBlobContainerClient(container).GetBlobClient(name);
    }

    public async Task<ArtifactInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var properties = await Blob(path).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new ArtifactInfo(path, properties.Value.ContentLength, properties.Value.ETag.ToString("H"), properties.Value.LastModified);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await Blob(path).DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new ArtifactNotFoundException(path);
        }
    }

    public async Task<ArtifactContent?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await Blob(path).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            var details = response.Value.Details;
            return new ArtifactContent(
                new ArtifactInfo(path, details.ContentLength, details.ETag.ToString("H"), details.LastModified),
                response.Value.Content);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<ArtifactInfo> WriteAsync(string path, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var blob = Blob(path);
        await EnsureContainerAsync(blob.BlobContainerName, cancellationToken).ConfigureAwait(false);
        var options = new BlobUploadOptions();
        if (condition is not null)
        {
            options.Conditions = condition.IfNotExistsOnly
                ? new BlobRequestConditions { IfNoneMatch = ETag.All }
                : new BlobRequestConditions { IfMatch = new ETag(condition.IfMatchETag!) };
        }

        try
        {
            var response = await blob.UploadAsync(content, options, cancellationToken).ConfigureAwait(false);
            long length = content.CanSeek ? content.Length : (await GetInfoAsync(path, cancellationToken).ConfigureAwait(false))?.Length ?? 0;
            return new ArtifactInfo(path, length, response.Value.ETag.ToString("H"), response.Value.LastModified);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            throw new ArtifactConflictException(path, condition?.IfNotExistsOnly == true ? "already exists" : "changed since it was read (ETag mismatch)");
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && condition?.IfMatchETag is not null)
        {
            throw new ArtifactConflictException(path, "no longer exists");
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArtifactPath.ValidatePrefix(prefix);
        int slash = prefix.IndexOf('/', StringComparison.Ordinal);
        string container = slash < 0 ? prefix : prefix[..slash];
        string namePrefix = slash < 0 ? string.Empty : prefix[(slash + 1)..];
        var client = service.GetBlobContainerClient(container);
        var names = new List<string>();
        try
        {
            await foreach (var item in client.GetBlobsAsync(BlobTraits.None, BlobStates.None, namePrefix, cancellationToken).ConfigureAwait(false))
            {
                names.Add(item.Name);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            yield break; // no container yet: nothing under it
        }

        names.Sort(StringComparer.Ordinal);
        foreach (string name in names)
        {
            yield return $"{container}/{name}";
        }
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var response = await Blob(path).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Value;
    }

    private Task EnsureContainerAsync(string container, CancellationToken cancellationToken) =>
        _created.GetOrAdd(container, name => service.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken));
}
