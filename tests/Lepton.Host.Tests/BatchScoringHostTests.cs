using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>Batch scoring under the Functions host: a stored archive of images, started and watched over the admin routes.</summary>
[Collection(HostsCollection.Name)]
public sealed class BatchScoringHostTests(HostsFixture fixture)
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [FunctionsHostFact]
    public async Task StartOverHttp_ScoresEveryImageOnce_WithTheProductionVersion()
    {
        var host = await fixture.FunctionsAsync();
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (int i = 0; i < 9; i++)
            {
                await using var entry = archive.CreateEntry($"{i % 10}-{i}.png").Open();
                await entry.WriteAsync(ImageFiles.Encode(TinyModels.ImageFor(i), 28, 28));
            }

            await using var broken = archive.CreateEntry("broken.jpg").Open();
            await broken.WriteAsync(new byte[] { 0xFF, 0xD8, 0xFF, 1, 2 });
        }

        zip.Position = 0;
        string input = $"batch/{fixture.Model}/images-{Guid.NewGuid():N}.zip";
        await fixture.Registry.Store.WriteAsync(input, zip);
        using var without = await host.Client.PostAsync($"/api/models/{fixture.Model}/batch", Json($$"""{"input":"{{input}}"}"""));
        using var start = host.WithKey(HttpMethod.Post, $"/api/models/{fixture.Model}/batch", Json($$"""{"input":"{{input}}","chunkSize":4}"""));
        using var started = await host.Client.SendAsync(start);
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        string status = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("statusUri").GetString()!;

        JsonElement job;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            using var poll = host.WithKey(HttpMethod.Get, status);
            using var response = await host.Client.SendAsync(poll, timeout.Token);
            job = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token)).RootElement.Clone();
            if (job.GetProperty("status").GetString() is "Completed" or "Failed")
            {
                break;
            }

            await Task.Delay(250, timeout.Token);
        }

        Assert.True(job.GetProperty("status").GetString() == "Completed", job.ToString());
        var summary = job.GetProperty("summary");
        Assert.Equal((10, 9, 1), (summary.GetProperty("inputs").GetInt32(), summary.GetProperty("scored").GetInt32(), summary.GetProperty("failures").GetArrayLength()));
        Assert.Equal(1, summary.GetProperty("version").GetInt32()); // production
        string results = (await fixture.Registry.Store.ReadAsync(summary.GetProperty("results").GetString()!))!.Data.ToString();
        var lines = results.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(10, lines.Select(l => l.GetProperty("input").GetString()).Distinct().Count());
        Assert.Equal(TinyModels.Labels[7], lines.Single(l => l.GetProperty("input").GetString() == "7-7.png").GetProperty("label").GetString());
    }

    /// <summary>Polls <c>GET /api/batches/{id}</c> until the job ends.</summary>
    internal static async Task<JsonElement> WaitForJobAsync(Lepton.Tests.FunctionsHost host, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var poll = host.WithKey(HttpMethod.Get, $"/api/batches/{id}");
            using var response = await host.Client.SendAsync(poll);
            string body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var job = JsonDocument.Parse(body).RootElement.Clone();
                if (job.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
                {
                    return job;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"batch job {id} did not end within {timeout}: {response.StatusCode} {body}");
            await Task.Delay(250);
        }
    }

    /// <summary>Waits for the record of the job an upload to <c>batch/{model}/{file}</c> started (by its ETag).</summary>
    internal static async Task<Lepton.Pipeline.UploadRun> WaitForUploadRunAsync(Lepton.Core.Storage.IArtifactStore store, string model, string file, TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        var info = await store.GetInfoAsync($"batch/{model}/{file}", wait.Token) ?? throw new InvalidOperationException("upload missing");
        try
        {
            return await Lepton.Pipeline.UploadRun.WaitAsync(store, "batch", model, file, info.ETag, wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no batch job was started for batch/{model}/{file} within {timeout.TotalSeconds} s");
        }
    }

    [FunctionsHostFact]
    public async Task UploadToTheBatchContainer_StartsOneJob_LikeThePost_EveryImageOnce()
    {
        var host = await fixture.FunctionsAsync();
        var store = fixture.Registry.Store;
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (int i = 0; i < 12; i++)
            {
                await using var entry = archive.CreateEntry($"shots/{i % 10}-{i:D2}.png").Open();
                await entry.WriteAsync(ImageFiles.Encode(TinyModels.ImageFor(i % 10), 28, 28));
            }

            await using var broken = archive.CreateEntry("shots/broken.png").Open();
            await broken.WriteAsync(new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2 });
        }

        string file = $"upload-{Guid.NewGuid():N}.zip";
        zip.Position = 0;
        await store.WriteAsync($"batch/{fixture.Model}/{file}", zip);

        var run = await WaitForUploadRunAsync(store, fixture.Model, file, TimeSpan.FromSeconds(60));
        var job = await WaitForJobAsync(host, run.InstanceId!, TimeSpan.FromMinutes(2));

        Assert.True(run.Started, run.ToString());
        // The job the POST with this input (and no other setting) would start: the same instance.
        string expected = Lepton.Pipeline.Batch.BatchEngine.InstanceId(
            new Lepton.Pipeline.Batch.BatchRequest(fixture.Model, $"batch/{fixture.Model}/{file}"),
            $"batch/{fixture.Model}/{file}@{(await store.GetInfoAsync($"batch/{fixture.Model}/{file}"))!.ETag}");
        Assert.Equal(expected, run.InstanceId);
        Assert.True(job.GetProperty("status").GetString() == "Completed", job.ToString());
        var summary = job.GetProperty("summary");
        Assert.Equal((13, 12, 1), (summary.GetProperty("inputs").GetInt32(), summary.GetProperty("scored").GetInt32(), summary.GetProperty("failures").GetArrayLength()));
        Assert.Equal(1, summary.GetProperty("version").GetInt32()); // production
        Assert.Equal($"batch/{run.InstanceId}/results.jsonl", summary.GetProperty("results").GetString());
        var lines = (await store.ReadAsync($"batch/{run.InstanceId}/results.jsonl"))!.Data.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(13, lines.Select(l => l.GetProperty("input").GetString()).Distinct().Count());
        Assert.Equal(TinyModels.Labels[3], lines.Single(l => l.GetProperty("input").GetString() == "shots/3-03.png").GetProperty("label").GetString());
        Assert.NotNull(await store.GetInfoAsync($"batch/{run.InstanceId}/summary.json"));

        // The job's own files in the container (results.jsonl is a table file's name) start nothing: the scan
        // has seen them by now, and no record exists for the job's folder.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Null(await Lepton.Pipeline.UploadRun.ReadAsync(store, "batch", run.InstanceId!, "results.jsonl"));
        var again = await Lepton.Pipeline.UploadRun.ReadAsync(store, "batch", fixture.Model, file);
        Assert.Equal(run.InstanceId, again!.InstanceId); // one job for the upload
    }

    [FunctionsHostFact]
    public async Task Start_InputOutsideTheBatchContainer_Is400_AndAnUnknownJobIs404()
    {
        var host = await fixture.FunctionsAsync();

        using var start = host.WithKey(HttpMethod.Post, $"/api/models/{fixture.Model}/batch", Json("""{"input":"/etc/passwd"}"""));
        using var refused = await host.Client.SendAsync(start);
        using var get = host.WithKey(HttpMethod.Get, "/api/batches/no-such-job");
        using var missing = await host.Client.SendAsync(get);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("batch/", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}

/// <summary>A batch job whose host is killed mid-job: after a restart it finishes, chunks scored before are not scored again.</summary>
[Collection(HostsCollection.Name)]
public sealed class BatchScoringCrashTests(HostsFixture fixture)
{
    [FunctionsHostFact]
    public async Task HostKilledMidJob_FinishesAfterRestart_EveryInputOnce_ChunksDoneBeforeKept()
    {
        // A host of its own over a folder store and its own task hub, so the kill touches nothing else.
        string root = Path.Combine(fixture.Work, "batch-crash");
        var store = new Lepton.Core.Storage.FolderArtifactStore(Path.Combine(root, "store"));
        var registry = new Lepton.Core.Registry.ModelRegistry(store);
        byte[] model = TinyModels.Linear();
        await registry.PublishAsync("digits", new MemoryStream(model), Lepton.Inference.Runtime.ModelInspector.Describe(model));
        var settings = new Dictionary<string, string>(fixture.FunctionsSettings)
        {
            ["LEPTON_STORE"] = Path.Combine(root, "store"),
            ["TASKHUB_NAME"] = "b" + Guid.NewGuid().ToString("N")[..12],
            ["LEPTON_WORK"] = Path.Combine(root, "work"),
            ["AzureFunctionsWebHost__hostid"] = "lepton-batch-crash-" + Guid.NewGuid().ToString("N")[..8],
            // Messages the killed host had taken reappear after the queues' visibility timeout: 1 minute is the
            // shortest the Azure Storage backend allows ("must be between 1 and 60 minutes"), so this test takes
            // about that long; nothing else differs from a real restart.
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:01:00",
            ["AzureWebJobs.BatchUploadScan.Disabled"] = "true", // the job is the one the POST starts, with its chunk size
        };
        const int Images = 150;
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (int i = 0; i < Images; i++)
            {
                await using var entry = archive.CreateEntry($"{i:D3}.png").Open();
                await entry.WriteAsync(ImageFiles.Encode(TinyModels.ImageFor(i % 10), 28, 28));
            }
        }

        zip.Position = 0;
        await store.WriteAsync("batch/digits/all.zip", zip);
        string results = Path.Combine(root, "store", "batch");
        string id;
        var before = new Dictionary<string, string>(); // chunk results written before the kill, by their ETag
        var first = await FunctionsHost.StartAsync(settings);
        try
        {
            using var start = first.WithKey(HttpMethod.Post, "/api/models/digits/batch",
                new StringContent("""{"input":"batch/digits/all.zip","chunkSize":1,"maxConcurrentChunks":1}""", Encoding.UTF8, "application/json"));
            using var started = await first.Client.SendAsync(start);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            string chunkResults = Path.Combine(results, id, "results");
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (!Directory.Exists(chunkResults) || Directory.GetFiles(chunkResults).Length < 5)
            {
                Assert.True(DateTime.UtcNow < deadline, "no chunk was scored");
                await Task.Delay(50);
            }

            await first.KillAsync(); // SIGKILL mid-job
            for (int i = 0; i < Images; i++)
            {
                if (await store.GetInfoAsync(Lepton.Pipeline.Batch.BatchPaths.ChunkResults(id, i)) is { } info)
                {
                    before[info.Path] = info.ETag;
                }
            }
        }
        finally
        {
            await first.DisposeAsync();
        }

        Assert.True(before.Count < Images, "the job finished before the kill: nothing to resume");
        await using var second = await FunctionsHost.StartAsync(settings);
        JsonElement job;
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            using var request = second.WithKey(HttpMethod.Get, $"/api/batches/{id}");
            using var response = await second.Client.SendAsync(request);
            job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (job.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < end, $"the job did not end after the restart: {job}");
            await Task.Delay(1000);
        }

        Assert.True(job.GetProperty("status").GetString() == "Completed", job.GetRawText());
        Assert.Equal(Images, job.GetProperty("summary").GetProperty("scored").GetInt32());
        var lines = (await File.ReadAllLinesAsync(Path.Combine(results, id, "results.jsonl"))).Where(l => l.Length > 0).ToArray();
        Assert.Equal(Images, lines.Length);
        Assert.Equal(Images, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("input").GetString()).Distinct().Count());
        // Every chunk scored once: the records written before the kill are the same files (a chunk whose activity
        // ran again after the restart found its record and read it back: counted as kept, not scored), and the
        // second host wrote the records of the others, one per chunk.
        foreach (var (path, etag) in before)
        {
            Assert.Equal(etag, (await store.GetInfoAsync(path))!.ETag);
        }

        var summary = job.GetProperty("summary");
        Assert.Equal(Images, summary.GetProperty("chunks").GetInt32());
        Assert.InRange(summary.GetProperty("chunksKept").GetInt32(), 0, before.Count);
        int records = 0;
        await foreach (string _ in store.ListAsync($"batch/{id}/results/"))
        {
            records++;
        }

        Assert.Equal(Images, records);
    }
}
