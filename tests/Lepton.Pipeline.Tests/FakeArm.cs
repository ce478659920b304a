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
/// throwaway certificate (Azure ML cannot run here). It checks the wire contract of every request: the
/// bearer token, the api-version, the workspace path, and the bodies (an environment pinned by digest and
/// versioned by it; a command job on the workspace's cluster and environment, with an identity, whose
/// every input and output is a path in one of the workspace's datastores). It answers as Azure ML does: a
/// PUT to an existing job name changes nothing (the job keeps its state; the fake counts it in
/// <see cref="RePuts"/>). It replays scripted job states, throttling (429 + Retry-After) and server errors.
/// </summary>
public sealed class FakeArm : IAsyncDisposable
{
    public const string Token = "test-token";

    public const string WorkspacePath = "/subscriptions/sub-1/resourceGroups/rg-lepton/providers/Microsoft.MachineLearningServices/workspaces/mlw-lepton";

    /// <summary>The workspace's datastores (name -> container) and its compute.</summary>
    public static readonly IReadOnlyDictionary<string, string> Datastores = new Dictionary<string, string> { ["lepton_prepared"] = "prepared", ["lepton_runs"] = "runs" };

    public const string Cluster = "gpu-cluster";

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

    /// <summary>The states a new job's GETs return (the last repeats).</summary>
    public IReadOnlyList<string> NewJobStates { get; set; } = ["NotStarted", "Running", "Completed"];

    /// <summary>Registered environment versions (ARM id path).</summary>
    public ConcurrentDictionary<string, JsonNode> Environments { get; } = new();

    /// <summary>Job name -> the body it was created with.</summary>
    public ConcurrentDictionary<string, JsonNode> Jobs { get; } = new();

    /// <summary>PUTs to a job name that existed already: Azure ML would only replace its tags.</summary>
    public ConcurrentQueue<string> RePuts { get; } = new();

    /// <summary>The cluster's <c>scaleSettings.maxNodeCount</c>, as <c>GET .../computes/{cluster}</c> answers.</summary>
    public int MaxNodes { get; set; } = 2;

    /// <summary>Job name -> when a GET first answered a terminal state (Completed, Failed, Canceled).</summary>
    public ConcurrentDictionary<string, DateTimeOffset> Ended { get; } = new();

    /// <summary>Called with each new job's name and body once it is created (a test scripts what the job writes).</summary>
    public Action<string, JsonNode>? OnJobCreated { get; set; }

    /// <summary>Why the fake refused a request (400), for the test's message.</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

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

        if (!path.StartsWith(WorkspacePath + "/", StringComparison.Ordinal))
        {
            return 404;
        }

        string[] segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int jobs = Array.IndexOf(segments, "jobs");
        if (method == "PUT" && segments.Contains("environments"))
        {
            string? problem = CheckEnvironment(segments, body);
            if (problem is not null)
            {
                return Refuse(problem, out reply);
            }

            Environments[path] = body!;
            reply = body;
            return 200;
        }

        if (method == "GET" && segments.Length >= 2 && segments[^2] == "computes")
        {
            if (segments[^1] != Cluster)
            {
                return 404;
            }

            reply = new JsonObject
            {
                ["name"] = Cluster,
                ["properties"] = new JsonObject
                {
                    ["computeType"] = "AmlCompute",
                    ["properties"] = new JsonObject { ["scaleSettings"] = new JsonObject { ["minNodeCount"] = 0, ["maxNodeCount"] = MaxNodes } },
                },
            };
            return 200;
        }

        if (jobs < 0 || jobs + 1 >= segments.Length)
        {
            return 404;
        }

        string job = segments[jobs + 1];
        switch (method)
        {
            case "PUT" when Jobs.TryGetValue(job, out var existing):
                RePuts.Enqueue(job);
                reply = existing;
                return 200;
            case "PUT":
                string? problem = CheckJob(body);
                if (problem is not null)
                {
                    return Refuse(problem, out reply);
                }

                Jobs[job] = body!;
                States[job] = new Queue<string>(NewJobStates);
                OnJobCreated?.Invoke(job, body!);
                reply = body;
                return 201;
            case "GET" when States.TryGetValue(job, out var states):
                string state = states.Count > 1 ? states.Dequeue() : states.Peek();
                if (state is "Completed" or "Failed" or "Canceled")
                {
                    Ended.TryAdd(job, DateTimeOffset.UtcNow);
                }

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

    private int Refuse(string problem, out JsonNode? reply)
    {
        Refusals.Enqueue(problem);
        reply = new JsonObject { ["error"] = new JsonObject { ["code"] = "UserError", ["message"] = problem } };
        return 400;
    }

    /// <summary>An environment version named by the image's digest, the image pinned by it.</summary>
    private static string? CheckEnvironment(string[] segments, JsonNode? body)
    {
        string version = segments[^1];
        string? image = (string?)body?["properties"]?["image"];
        if (image is null || !image.EndsWith("@sha256:" + version, StringComparison.Ordinal) || version.Length != 64)
        {
            return $"environment version '{version}' is not the digest of image '{image}'";
        }

        return (string?)body!["properties"]!["osType"] == "Linux" ? null : "osType must be Linux";
    }

    /// <summary>What Azure ML needs of a command job that reaches its data through identity-based datastores.</summary>
    private string? CheckJob(JsonNode? body)
    {
        var p = body?["properties"];
        if (p is null || (string?)p["jobType"] != "Command")
        {
            return "not a command job";
        }

        if ((string?)p["computeId"] != $"{WorkspacePath}/computes/{Cluster}")
        {
            return $"unknown compute '{p["computeId"]}'";
        }

        if (p["environmentId"] is not { } environment || !Environments.ContainsKey((string)environment!))
        {
            return $"environment '{p["environmentId"]}' is not registered";
        }

        if ((string?)p["identity"]?["identityType"] is not ("Managed" or "UserIdentity"))
        {
            return "the job has no identity: identity-based datastores need one";
        }

        string command = (string?)p["command"] ?? string.Empty;
        var bindings = new List<(string Name, string Kind, JsonNode Node)>();
        bindings.AddRange((p["inputs"]?.AsObject() ?? []).Select(i => (i.Key, "inputs", i.Value!)));
        bindings.AddRange((p["outputs"]?.AsObject() ?? []).Select(o => (o.Key, "outputs", o.Value!)));
        foreach (var (name, kind, node) in bindings)
        {
            if (!command.Contains($"${{{{{kind}.{name}}}}}", StringComparison.Ordinal))
            {
                return $"{kind}.{name} is not used by the command";
            }

            string uri = (string?)node["uri"] ?? string.Empty;
            var match = System.Text.RegularExpressions.Regex.Match(uri, "^azureml://datastores/([A-Za-z0-9_]+)/paths/(.+)$");
            if (!match.Success || !Datastores.ContainsKey(match.Groups[1].Value))
            {
                return $"{kind}.{name} is not a path in one of the workspace's datastores: '{uri}'";
            }
        }

        return command.Contains("${{", StringComparison.Ordinal) && bindings.Count > 0 ? null : "the command binds nothing";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
