using System.Buffers;
using Lepton.Inference.Decoding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Lepton.Inference.Http;

/// <summary>
/// Reads a request body whole, refusing (413) anything over the limit before it is buffered. A refused
/// body is read to its end (and dropped) before the answer: behind a proxy (the Functions host forwards
/// each request to the worker) a connection closed with the body half sent fails the proxy's copy, and
/// the client would get a 500 instead of the 413.
/// </summary>
public static class RequestBody
{
    /// <summary>The most of a refused body that is read and dropped; beyond it the connection is closed.</summary>
    public const long MaxDrainBytes = 256L * 1024 * 1024;

    public static async Task<byte[]> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Our limit is enforced here; the server's own (Kestrel: 30 MB) would end the drain with an error.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxDrainBytes;
        }

        if (request.ContentLength is long declared && declared > limit)
        {
            await DrainAsync(request, cancellationToken).ConfigureAwait(false);
            throw new InputException(InputProblem.TooLarge, $"the body is {declared} bytes; at most {limit} are accepted");
        }

        if (request.ContentLength is long length)
        {
            // The common case: the size is known, so read straight into an array of that size.
            if (length == 0)
            {
                throw new InputException(InputProblem.Invalid, "the request has no body");
            }

            var body = new byte[length];
            int filled = 0;
            while (filled < body.Length)
            {
                int n = await request.Body.ReadAsync(body.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new InputException(InputProblem.Invalid, $"the body ended after {filled} of {length} bytes");
                }

                filled += n;
            }

            return body;
        }

        using var buffer = new MemoryStream(4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                await DrainAsync(request, cancellationToken).ConfigureAwait(false);
                throw new InputException(InputProblem.TooLarge, $"the body is over the limit of {limit} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new InputException(InputProblem.Invalid, "the request has no body");
        }

        return buffer.ToArray();
    }

    private static async Task DrainAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long drained = 0;
            int read;
            while (drained < MaxDrainBytes && (read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                drained += read;
            }
        }
        catch (Exception ex) when (ex is IOException or BadHttpRequestException)
        {
            // The client stopped sending, or sent more than the server takes: answer all the same.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>The media type without parameters, lower case; null when absent.</summary>
    public static string? MediaType(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        int semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    /// <summary>PNG or JPEG by their first bytes.</summary>
    public static bool LooksLikeImage(ReadOnlySpan<byte> data) =>
        (data.Length >= 8 && data[0] == 0x89 && data[1] == 0x50 && data[2] == 0x4E && data[3] == 0x47)
        || (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF);
}
