using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lepton.Pipeline.Tests;

/// <summary>
/// A local stand-in for Azure Resource Manager's Azure ML job endpoints, over HTTPS on 127.0.0.1 with a
/// throwaway certificate. It checks the bearer token and api-version of every request, records what
/// it was sent, and replays scripted job states, throttling (429 + Retry-After) and server errors.
/// </summary>
public sealed class FakeArm : IAsyncDisposable
{
    public const string Token = "test-token";

    private readonly WebApplication _app;

    private FakeArm(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    public Uri Endpoint { get; private set; } = null!;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Job name -> the states its successive GETs return (the last repeats).</summary>
    public ConcurrentDictionary<string, Queue<string>> States { get; } = new();

    /// <summary>Responses to send before the real one, per "METHOD path-suffix": e.g. 429 or 503.</summary>
    public ConcurrentDictionary<string, Queue<int>> Faults { get; } = new();

    public sealed record RecordedRequest(string Method, string Path, string? ApiVersion, string? Authorization, JsonNode? Body, DateTimeOffset At, int Status);

    public static async Task<FakeArm> StartAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var fake = new FakeArm(app, certificate);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake.Endpoint = new Uri(app.Urls.First());
        return fake;
    }

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? string.Empty;
        string method = context.Request.Method;
        JsonNode? body = null;
        if (context.Request.ContentLength > 0)
        {
            body = await JsonNode.ParseAsync(context.Request.Body);
        }

        int status = Respond(context, method, path, body, out JsonNode? reply);
        Requests.Enqueue(new RecordedRequest(method, path, context.Request.Query["api-version"], context.Request.Headers.Authorization, body, DateTimeOffset.UtcNow, status));
        context.Response.StatusCode = status;
        if (reply is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(reply.ToJsonString());
        }
    }

    private int Respond(HttpContext context, string method, string path, JsonNode? body, out JsonNode? reply)
    {
        reply = null;
        if (context.Request.Headers.Authorization != $"Bearer {Token}")
        {
            reply = new JsonObject { ["error"] = new JsonObject { ["code"] = "AuthenticationFailed" } };
            return 401;
        }

        if (context.Request.Query["api-version"] != "2024-10-01")
        {
            reply = new JsonObject { ["error"] = new JsonObject { ["code"] = "InvalidApiVersion" } };
            return 400;
        }

        string key = $"{method} {path.Split('/')[^1]}";
        if (Faults.TryGetValue(key, out var faults) && faults.TryDequeue(out int fault))
        {
            if (fault == 429)
            {
                context.Response.Headers.RetryAfter = "1";
            }

            return fault;
        }

        string[] segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int jobs = Array.IndexOf(segments, "jobs");
        if (method == "PUT" && segments.Contains("environments"))
        {
            reply = body;
            return 200;
        }

        if (jobs < 0 || jobs + 1 >= segments.Length)
        {
            return 404;
        }

        string job = segments[jobs + 1];
        switch (method)
        {
            case "PUT":
                States.TryAdd(job, new Queue<string>(["NotStarted", "Running", "Completed"]));
                reply = body;
                return 201;
            case "GET" when States.TryGetValue(job, out var states):
                string state = states.Count > 1 ? states.Dequeue() : states.Peek();
                reply = new JsonObject { ["name"] = job, ["properties"] = new JsonObject { ["status"] = state } };
                if (state == "Failed")
                {
                    reply["properties"]!["error"] = new JsonObject { ["message"] = "the node ran out of memory" };
                }

                return 200;
            case "POST" when segments[^1] == "cancel" && States.ContainsKey(job):
                States[job] = new Queue<string>(["CancelRequested", "Canceled"]);
                return 202;
            default:
                return 404;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
