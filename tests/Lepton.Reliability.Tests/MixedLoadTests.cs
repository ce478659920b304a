using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Lepton.Core.Registry;
using Lepton.Tests;
using Xunit.Abstractions;

namespace Lepton.Reliability.Tests;

/// <summary>
/// Issue 9: 20 s of mixed traffic while the production alias flips every 100 ms and, halfway, a model
/// file is deleted: no 5xx but the documented 503 (a version whose file is gone), and no crash.
/// </summary>
public sealed class MixedLoadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task TwentySeconds_AliasFlipsAndADeletedModelFile_No5xxButDocumented503s()
    {
        await using var host = await TinyServer.StartAsync("mixed", versions: 3, new Dictionary<string, string>
        {
            ["Lepton__Inference__AliasCacheDuration"] = "00:00:00.100",
            ["Lepton__Inference__MaxLoadedModels"] = "2", // version 3 is unloaded now and then, so the deleted file matters
        });
        var client = host.Server.Client;
        string instances = $$"""{"instances":[[{{string.Join(',', TinyModels.ImageFor(5))}}]]}""";
        string infer = $$"""{"inputs":[{"name":"pixels","shape":[1,1,28,28],"datatype":"FP32","data":[{{string.Join(',', TinyModels.ImageFor(6))}}]}]}""";
        var requests = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Post, "/api/models/mixed/predict", instances),
            (HttpMethod.Post, "/api/models/mixed/predict?version=3", instances),
            (HttpMethod.Post, "/api/models/mixed/predict?version=2", instances),
            (HttpMethod.Post, "/v2/models/mixed/infer", infer),
            (HttpMethod.Post, "/v2/models/mixed/versions/3/infer", infer),
            (HttpMethod.Get, "/api/models/mixed", null),
            (HttpMethod.Get, "/api/models", null),
            (HttpMethod.Get, "/v2/health/ready", null),
            (HttpMethod.Get, "/v2/models/mixed/versions/3/ready", null),
        };
        var statuses = new ConcurrentDictionary<(string, int), int>();
        var unexpected = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        bool deleted = false;

        async Task ClientAsync(int worker)
        {
            for (int i = worker; clock.Elapsed < Duration; i++)
            {
                var (method, path, body) = requests[i % requests.Length];
                using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
                using var response = await client.SendAsync(request);
                int status = (int)response.StatusCode;
                statuses.AddOrUpdate((path, status), 1, (_, n) => n + 1);
                bool documented503 = status == 503 && Volatile.Read(ref deleted) && (path.Contains('3', StringComparison.Ordinal) || path == "/v2/health/ready");
                if (status >= 500 && !documented503)
                {
                    unexpected.Enqueue($"{method} {path}: {status} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        async Task FlipperAsync()
        {
            for (int i = 0; clock.Elapsed < Duration; i++)
            {
                using var content = new StringContent($"{{\"version\": {1 + (i % 2)}}}", Encoding.UTF8, "application/json");
                using var response = await client.PutAsync("/api/models/mixed/aliases/production", content);
                statuses.AddOrUpdate(("PUT alias", (int)response.StatusCode), 1, (_, n) => n + 1);
                if (!response.IsSuccessStatusCode)
                {
                    unexpected.Enqueue($"PUT alias: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                await Task.Delay(100);
            }
        }

        async Task DeleterAsync()
        {
            await Task.Delay(Duration / 2);
            Volatile.Write(ref deleted, true);
            File.Delete(Path.Combine(host.Root, ModelRegistry.ModelPath("mixed", 3)));
        }

        await Task.WhenAll(Enumerable.Range(0, 12).Select(ClientAsync).Append(FlipperAsync()).Append(DeleterAsync()));

        foreach (var group in statuses.OrderBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2))
        {
            output.WriteLine($"{group.Key.Item1} -> {group.Key.Item2}: {group.Value}");
        }

        output.WriteLine($"{statuses.Values.Sum()} requests in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.False(host.Server.HasExited, host.Server.Output);
        Assert.Empty(unexpected);
        Assert.DoesNotContain(statuses.Keys, k => k.Item2 == 500);
        Assert.Contains(statuses.Keys, k => k.Item1 == "/api/models/mixed/predict" && k.Item2 == 200);
    }
}
