using System.Collections.Frozen;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Lepton.Inference.Http;

/// <summary>
/// The web console: one static page (<c>GET /</c>) and its script and style sheet
/// (<c>GET /console/{file}</c>), embedded in this assembly, served by both hosts with a strict
/// Content-Security-Policy (no inline script or style, nothing from another origin, no framing).
/// </summary>
public static class ConsolePage
{
    /// <summary>Everything from this origin only; no inline script or style; images also as data/blob URLs (canvas previews).</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> Types = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["console.js"] = "text/javascript; charset=utf-8",
        ["console.css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, byte[]> Assets = Types.Keys.ToFrozenDictionary(f => f, Read, StringComparer.Ordinal);

    private static readonly string IndexTemplate = Encoding.UTF8.GetString(Read("index.html"));

    private static readonly FrozenDictionary<ApiHost, byte[]> Index = Enum.GetValues<ApiHost>().ToFrozenDictionary(
        h => h, h => Encoding.UTF8.GetBytes(IndexTemplate.Replace("{{HOST}}", h == ApiHost.Functions ? "functions" : "serve", StringComparison.Ordinal)));

    /// <summary><c>GET /</c>: the page; the host decides what it offers (pipeline runs exist only on the Functions app).</summary>
    public static Task WriteIndexAsync(HttpContext context, ApiHost host)
    {
        ArgumentNullException.ThrowIfNull(context);
        return WriteAsync(context, Index[host], "text/html; charset=utf-8");
    }

    /// <summary><c>GET /console/{file}</c>: the script or the style sheet; anything else 404 with <c>{"error"}</c>.</summary>
    public static Task WriteAssetAsync(HttpContext context, string file)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Assets.TryGetValue(file ?? string.Empty, out byte[]? bytes))
        {
            return ApiErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"no console file '{file}'");
        }

        return WriteAsync(context, bytes, Types[file!]);
    }

    private static async Task WriteAsync(HttpContext context, byte[] bytes, string contentType)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-cache";
        await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static byte[] Read(string file)
    {
        using var stream = typeof(ConsolePage).Assembly.GetManifestResourceStream($"Lepton.Inference.Http.Console.{file}")
            ?? throw new InvalidOperationException($"console/{file} is not embedded");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
