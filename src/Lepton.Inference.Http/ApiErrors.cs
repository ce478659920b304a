using System.Text.Json;
using Azure;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lepton.Inference.Http;

/// <summary>
/// Maps what went wrong to a status and <c>{"error": "..."}</c>, by the exception's type only (never its
/// message): each kind of bad input has its type and its 4xx; anything else (an ArgumentException or
/// InvalidOperationException from a bug included) is a 500 that says only "internal error".
/// </summary>
public static partial class ApiErrors
{
    public static (int Status, string Message) Classify(Exception exception) => exception switch
    {
        InputException input => (StatusOf(input.Problem), input.Message),
        InvalidNameException invalid => (StatusCodes.Status400BadRequest, invalid.Message),
        InvalidArtifactPathException path => (StatusCodes.Status400BadRequest, path.Message),
        JsonException json => (StatusCodes.Status400BadRequest, $"malformed JSON: {json.Message}"),
        ModelNotFoundException notFound => (StatusCodes.Status404NotFound, notFound.Message),
        ArtifactNotFoundException => (StatusCodes.Status404NotFound, "model file not found"),
        ArtifactConflictException conflict => (StatusCodes.Status409Conflict, conflict.Message),
        ModelIntegrityException integrity => (StatusCodes.Status503ServiceUnavailable, integrity.Message),
        BadHttpRequestException bad => (bad.StatusCode, bad.Message),
        RegistryDataException data => (StatusCodes.Status503ServiceUnavailable, data.Message),
        RequestFailedException store => (StatusCodes.Status503ServiceUnavailable, $"the model store refused the operation ({store.Status} {store.ErrorCode})"),
        UnauthorizedAccessException => (StatusCodes.Status503ServiceUnavailable, "the model store refused the operation (access denied: read-only?)"),
        IOException io when FromTheServer(io) => (StatusCodes.Status400BadRequest, $"the request could not be read: {io.Message}"),
        IOException => (StatusCodes.Status503ServiceUnavailable, "the model store failed (I/O error)"),
        _ => (StatusCodes.Status500InternalServerError, "internal error"),
    };

    /// <summary>The 4xx of each kind of bad input.</summary>
    public static int StatusOf(InputProblem problem) => problem switch
    {
        InputProblem.TooLarge => StatusCodes.Status413PayloadTooLarge,
        InputProblem.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        InputProblem.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>
    /// Kestrel reports some malformed requests as a bare IOException (a chunk size of
    /// <c>FFFFFFFFFFFFFFFFFF</c>: "Bad chunk size data" over an OverflowException): the client's mistake.
    /// </summary>
    private static bool FromTheServer(IOException exception) =>
        exception.TargetSite?.DeclaringType?.Namespace?.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) == true
        || exception.InnerException is OverflowException;

    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("error", message);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Runs a handler; any exception becomes its error response (server faults are logged, never echoed).</summary>
    public static async Task RunAsync(HttpContext context, ILogger logger, Func<Task> handler)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        try
        {
            await handler().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away
        }
        catch (Exception ex)
        {
            var (status, message) = Classify(ex);
            if (status >= 500)
            {
                LogServerError(logger, ex, context.Request.Method, context.Request.Path);
            }

            await WriteAsync(context, status, message).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Method} {Path} failed")]
    private static partial void LogServerError(ILogger logger, Exception exception, string method, string path);
}
