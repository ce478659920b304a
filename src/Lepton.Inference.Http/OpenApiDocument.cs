using Microsoft.AspNetCore.Http;

namespace Lepton.Inference.Http;

/// <summary>The OpenAPI 3 document of the HTTP surface (embedded openapi.json), served by both hosts.</summary>
public static class OpenApiDocument
{
    private static readonly Lazy<byte[]> Bytes = new(() =>
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("Lepton.Inference.Http.openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    });

    public static ReadOnlyMemory<byte> Content => Bytes.Value;

    public static async Task WriteAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Bytes.Value.Length;
        await context.Response.Body.WriteAsync(Bytes.Value, context.RequestAborted).ConfigureAwait(false);
    }
}
