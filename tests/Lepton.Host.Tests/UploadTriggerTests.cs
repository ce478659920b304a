using System.Net;
using System.Text;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Storage;
using Lepton.Pipeline;
using Lepton.Pipeline.Orchestration;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// The local upload trigger under the Functions host: an archive uploaded together with its settings
/// (the same second, either order) starts exactly one run with those settings, every time; and a run
/// whose host is killed in the middle of training resumes from its checkpoint after a restart.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class UploadTriggerTests(HostsFixture fixture)
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The run id the app must start for this upload with these settings (and its gate default 0.5).</summary>
    private async Task<string> ExpectedInstanceIdAsync(string model, string file, string settingsJson) =>
        PipelineEngine.InstanceId(
            UploadSettings.Parse(settingsJson, "settings").ApplyTo(new PipelineRequest
            {
                ModelName = model,
                Dataset = $"datasets/{model}/{file}",
                MinimumAccuracy = 0.5,
            }),
            await PipelineEngine.DatasetIdentityAsync(new PipelineWorkspace(fixture.Registry.Store, fixture.Work), $"datasets/{model}/{file}"));

    private static async Task<UploadRun> WaitForRunAsync(IArtifactStore store, string model, string file, TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            var info = await store.GetInfoAsync($"datasets/{model}/{file}", wait.Token) ?? throw new InvalidOperationException("upload missing");
            return await UploadRun.WaitAsync(store, model, file, info.ETag, wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no run for datasets/{model}/{file} within {timeout.TotalSeconds} s");
        }
    }

    [FunctionsHostFact]
    public async Task ArchiveAndSettingsInTheSameSecond_StartExactlyOneRunWithTheSettings_TenTimesInARow()
    {
        var host = await fixture.FunctionsAsync();
        var store = fixture.Registry.Store;
        string archive = fixture.IdxArchive("same-second", train: 200, test: 40);
        byte[] bytes = await File.ReadAllBytesAsync(archive);
        for (int i = 0; i < 10; i++)
        {
            string model = $"same-{i}-{Guid.NewGuid().ToString("N")[..6]}";
            string settings = $$"""{"architecture":"mlp","epochs":{{i + 1}},"seed":{{i}}}""";
            fixture.UploadedTo(model);
            var uploadedAt = DateTime.UtcNow;
            var writeArchive = store.WriteAsync($"datasets/{model}/data.zip", new MemoryStream(bytes));
            var writeSettings = store.WriteAsync($"datasets/{model}/{UploadSettings.FileName}", new MemoryStream(Encoding.UTF8.GetBytes(settings)));
            // Both at once, and in turn one or the other finishing first.
            await (i % 2 == 0 ? Task.WhenAll(writeArchive, writeSettings) : Task.WhenAll(writeSettings, writeArchive));

            var run = await WaitForRunAsync(store, model, "data.zip", TimeSpan.FromSeconds(60));
            var startedWithin = DateTime.UtcNow - uploadedAt;

            Assert.True(run.Started, $"upload {i}: {run}");
            Assert.Equal(await ExpectedInstanceIdAsync(model, "data.zip", settings), run.InstanceId);
            Assert.True(startedWithin < TimeSpan.FromSeconds(30), $"upload {i} took {startedWithin}");
            using var cancel = host.WithKey(HttpMethod.Post, $"/api/pipelines/{run.InstanceId}/cancel");
            using var canceled = await host.Client.SendAsync(cancel);
            Assert.True(canceled.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, $"cancel: {canceled.StatusCode}");
        }

        // No second run for any of them: each record still names the run with the settings.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await foreach (string path in store.ListAsync("runs/uploads/same-"))
        {
            var record = LeptonJson.Deserialize<UploadRun>((await store.ReadAsync(path))!.Data.ToString(), path);
            Assert.True(record.Started, path);
        }
    }

    [FunctionsHostFact]
    public async Task HostKilledDuringTraining_ResumesFromItsCheckpointAfterRestart_AndPublishesOnce()
    {
        // A host of its own over a folder store and its own task hub, so the kill touches nothing else.
        string root = Path.Combine(fixture.Work, "crash");
        var store = new FolderArtifactStore(Path.Combine(root, "store"));
        var settings = new Dictionary<string, string>(fixture.FunctionsSettings)
        {
            ["LEPTON_STORE"] = Path.Combine(root, "store"),
            ["TASKHUB_NAME"] = "c" + Guid.NewGuid().ToString("N")[..12],
            ["LEPTON_WORK"] = Path.Combine(root, "work"),
            // The restarted host is the same app: the same host id, so it takes over its own leases.
            ["AzureFunctionsWebHost__hostid"] = "lepton-crash-" + Guid.NewGuid().ToString("N")[..8],
            // Messages the killed host had taken reappear after the queues' visibility timeout (5 minutes
            // by default); the shortest allowed (1 minute) keeps the test short. Nothing else differs from a real restart.
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:01:00",
        };
        string model = "crash-" + Guid.NewGuid().ToString("N")[..6];
        string archive = fixture.IdxArchive("crash", train: 3000, test: 200);

        var first = await FunctionsHost.StartAsync(settings);
        UploadRun run;
        try
        {
            await store.WriteAsync($"datasets/{model}/{UploadSettings.FileName}", new MemoryStream("""{"architecture":"cnn","epochs":4,"minimumAccuracy":0.1}"""u8.ToArray()));
            await using (var input = File.OpenRead(archive))
            {
                await store.WriteAsync($"datasets/{model}/data.zip", input);
            }

            run = await WaitForRunAsync(store, model, "data.zip", TimeSpan.FromSeconds(30));
            // last.json is the checkpoint's commit marker (written last, atomically): an epoch folder alone can still be empty.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (!File.Exists(Path.Combine(RunFolder(settings, model), "checkpoints", "last.json")))
            {
                Assert.True(DateTime.UtcNow < deadline, "no checkpoint was written");
                await Task.Delay(200);
            }

            await first.KillAsync(); // SIGKILL: the host, its worker and the trainer, mid-training
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await FunctionsHost.StartAsync(settings);
        JsonElement status;
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            using var request = second.WithKey(HttpMethod.Get, $"/api/pipelines/{run.InstanceId}");
            using var response = await second.Client.SendAsync(request);
            status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (status.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < end, $"the run did not end after the restart: {status}");
            await Task.Delay(1000);
        }

        Assert.True(status.GetProperty("status").GetString() == "Completed", status.GetRawText());
        var result = status.GetProperty("result");
        Assert.Equal("Published", result.GetProperty("outcome").GetString());
        Assert.True(result.GetProperty("trainingAttempts").GetInt32() >= 2, status.GetRawText());
        var history = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RunFolder(settings, model), "history.json"))).RootElement;
        Assert.True(history.GetProperty("resumedFromEpoch").GetInt32() >= 1, history.GetRawText());
        var registry = new Lepton.Core.Registry.ModelRegistry(store);
        Assert.Equal([1], await registry.ListVersionsAsync(model));
    }

    /// <summary>The run's folder in the host's work folder (run ids start with the model name), or a path that does not exist yet.</summary>
    private static string RunFolder(Dictionary<string, string> settings, string model)
    {
        string runs = Path.Combine(settings["LEPTON_WORK"], "runs");
        return (Directory.Exists(runs) ? Directory.GetDirectories(runs, $"{model}-*").SingleOrDefault() : null) ?? Path.Combine(runs, model + "-pending");
    }
}
