using Lepton.Inference.Decoding;
using Microsoft.AspNetCore.Http;

namespace Lepton.Inference.Http;

/// <summary>Reads a request body whole, refusing (413) anything over the limit before it is buffered.</summary>
public static class RequestBody
{
    public static async Task<byte[]> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength is long declared && declared > limit)
        {
            throw new InputException(StatusCodes.Status413PayloadTooLarge, $"the body is {declared} bytes; at most {limit} are accepted");
        }

        using var buffer = new MemoryStream(request.ContentLength is long n and > 0 ? (int)n : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new InputException(StatusCodes.Status413PayloadTooLarge, $"the body is over the limit of {limit} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new InputException(StatusCodes.Status400BadRequest, "the request has no body");
        }

        return buffer.ToArray();
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
