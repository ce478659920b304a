using System.Net;
using System.Text;
using System.Text.Json;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>A sweep under the Functions host: started over the admin route, each trial a child orchestration, the best published once.</summary>
[Collection(HostsCollection.Name)]
public sealed class SweepHostTests(HostsFixture fixture)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Request(string model, string dataset, int maxConcurrent) => JsonSerializer.Serialize(new
    {
        modelName = model,
        dataset,
        pollInterval = "00:00:00.500",
        training = new
        {
            architecture = "mlp",
            epochs = 1,
            trainLimit = 300,
            testLimit = 100,
            threads = 1,
            sweep = new { parameters = new { learningRate = new[] { 0.0003, 0.003 }, batchSize = new[] { 32, 128 } }, maxConcurrent },
        },
    });

    private static async Task<JsonElement> SendAsync(Lepton.Tests.FunctionsHost host, HttpRequestMessage request)
    {
        using var response = await host.Client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, $"{response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> RunAsync(Lepton.Tests.FunctionsHost host, string body)
    {
        using var start = host.WithKey(HttpMethod.Post, "/api/pipelines", Json(body));
        string id = (await SendAsync(host, start)).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            using var poll = host.WithKey(HttpMethod.Get, $"/api/pipelines/{id}");
            var status = await SendAsync(host, poll);
            if (status.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return status;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"pipeline {id} did not end within {RunTimeout}; the host said:\n{string.Join('\n', host.Output.Split('\n').TakeLast(40))}");
    }

    [FunctionsHostFact]
    public async Task Sweep_FourTrials_PublishesTheBestOnce_AndTheSameSweepAgainPublishesNothing()
    {
        var host = await fixture.FunctionsAsync();
        string model = $"sweep-{Guid.NewGuid().ToString("N")[..8]}";
        string dataset = TestDatasets.WriteSlice(Path.Combine(fixture.Work, model), train: 400, test: 100);

        var first = await RunAsync(host, Request(model, dataset, maxConcurrent: 2));

        Assert.True(first.GetProperty("status").GetString() == "Completed", first.ToString());
        var result = first.GetProperty("result");
        Assert.Equal("Published", result.GetProperty("outcome").GetString());
        var sweep = result.GetProperty("sweep");
        var trials = sweep.GetProperty("trials").EnumerateArray().ToArray();
        Assert.Equal(4, trials.Length);
        Assert.All(trials, t => Assert.Equal("succeeded", t.GetProperty("state").GetString()));
        int best = sweep.GetProperty("bestTrial").GetInt32();
        double bestAccuracy = trials.Max(t => t.GetProperty("validationAccuracies")[0].GetDouble());
        Assert.Equal(bestAccuracy, trials[best - 1].GetProperty("validationAccuracies")[0].GetDouble());
        Assert.Equal(4, first.GetProperty("progress").GetProperty("trials").GetArrayLength());
        Assert.Equal([1], await fixture.Registry.ListVersionsAsync(model));
        var manifest = await fixture.Registry.GetManifestAsync(model, 1);
        Assert.Equal(result.GetProperty("runId").GetString(), manifest.Sweep!.Id);
        Assert.Equal(trials[best - 1].GetProperty("runId").GetString(), manifest.Sweep.TrialRunId);

        var again = await RunAsync(host, Request(model, dataset, maxConcurrent: 1));

        Assert.Equal("AlreadyPublished", again.GetProperty("result").GetProperty("outcome").GetString());
        Assert.Equal([1], await fixture.Registry.ListVersionsAsync(model));
    }
}
