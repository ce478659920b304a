using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Lepton.Bench.Ceiling;

/// <summary>What the host allows at most: a GET answered with a constant, and a POST whose body is read and dropped.</summary>
public static class CeilingFunctions
{
    private static readonly byte[] Reply = """{"ok":true}"""u8.ToArray();
    private static readonly EmptyResult Written = new();

    [Function("Constant")]
    public static async Task<IActionResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "constant")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await WriteAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function("Echo")]
    public static async Task<IActionResult> PostAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sink")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] buffer = new byte[16 * 1024];
        while (await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false) > 0)
        {
        }

        await WriteAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    private static async Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Reply.Length;
        await context.Response.Body.WriteAsync(Reply, context.RequestAborted).ConfigureAwait(false);
    }
}
