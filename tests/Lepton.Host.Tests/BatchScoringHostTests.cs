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
