using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Lepton.Functions;

/// <summary>The admin routes' JSON: request bodies read by the Lepton conventions, answers with enums by name.</summary>
internal static class AdminJson
{
    /// <summary>The body as <typeparamref name="T"/>; <see cref="InvalidDataException"/> when it is not one.</summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        return LeptonJson.Deserialize<T>(await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false), "request body");
    }

    public static ContentResult Error(int status, string message) => Json(status, new { error = message });

    /// <summary>
    /// JSON with enums as their names (<c>"outcome": "Published"</c>, like Durable's own
    /// <c>"status": "Completed"</c>), whatever serializer settings the host's MVC layer has.
    /// </summary>
    public static ContentResult Json<T>(int status, T value) => new()
    {
        StatusCode = status,
        ContentType = "application/json",
        Content = JsonSerializer.Serialize(value, PipelineRunStatus.JsonOptions),
    };
}
