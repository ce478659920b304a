using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Lepton.Core.Data;
using Lepton.Core.Storage;
using Lepton.Pipeline;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// The serverless path as a user meets it: the Functions app under the real host over Azurite. Admin
/// routes with and without the function key; uploads to <c>datasets/{model}/</c> that start, train and
/// publish a model that the host then serves; cancellation; a corrupted upload.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class FunctionsHostTests(HostsFixture fixture)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    private IArtifactStore Store => fixture.Registry.Store;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string UniqueModel(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task UploadAsync(string path, byte[] content)
    {
        await fixture.FunctionsAsync(); // the host runs (and scans) before anything is uploaded
        fixture.UploadedTo(path.Split('/')[1]);
        await Store.WriteAsync(path, new MemoryStream(content));
    }

    /// <summary>Waits until the app has recorded the run of exactly this upload (by ETag).</summary>
    private async Task<UploadRun> WaitForUploadRunAsync(string model, string file, TimeSpan timeout)
    {
        var info = await Store.GetInfoAsync($"datasets/{model}/{file}") ?? throw new InvalidOperationException("upload missing");
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            var run = await UploadRun.WaitAsync(Store, model, file, info.ETag, wait.Token);
            Assert.True(run.InstanceId is not null, $"the upload was refused: {run.Error}");
            return run;
        }
        catch (OperationCanceledException)
        {
            // reported below, with what the host said
        }

        var host = await fixture.FunctionsAsync();
        throw new TimeoutException($"no run was started for datasets/{model}/{file} within {timeout.TotalSeconds} s; the host said:\n{string.Join('\n', host.Output.Split('\n').TakeLast(60))}");
    }

    private async Task<JsonElement> StatusAsync(string id)
    {
        var host = await fixture.FunctionsAsync();
        using var request = host.WithKey(HttpMethod.Get, $"/api/pipelines/{id}");
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    private async Task<JsonElement> WaitForEndAsync(string id)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var status = await StatusAsync(id);
            if (status.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return status;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"pipeline {id} did not end within {RunTimeout}: {await StatusAsync(id)}");
    }

    private static string Text(JsonElement status) => status.GetRawText();

    [FunctionsHostFact]
    public async Task AdminRoutes_NeedTheFunctionKey()
    {
        var host = await fixture.FunctionsAsync();
        string alias = $"/api/models/{fixture.Model}/aliases/staging";

        using var without = await host.Client.PutAsync(alias, Json("""{"version": 2}"""));
        using var wrong = new HttpRequestMessage(HttpMethod.Put, alias) { Content = Json("""{"version": 2}""") };
        wrong.Headers.Add("x-functions-key", "guess");
        using var wrongResponse = await host.Client.SendAsync(wrong);
        using var startWithout = await host.Client.PostAsync("/api/pipelines", Json("{}"));
        using var statusWithout = await host.Client.GetAsync("/api/pipelines/anything");
        using var cancelWithout = await host.Client.PostAsync("/api/pipelines/anything/cancel", Json("{}"));
        using var listWithout = await host.Client.GetAsync("/api/pipelines");

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, startWithout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, statusWithout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, cancelWithout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, listWithout.StatusCode);

        using var header = host.WithKey(HttpMethod.Put, alias, Json("""{"version": 2}"""));
        using var withHeader = await host.Client.SendAsync(header);
        using var withCode = await host.Client.PutAsync($"{alias}?code={host.FunctionKey}", Json("""{"version": 1}"""));
        using var unknownRun = host.WithKey(HttpMethod.Get, "/api/pipelines/no-such-run");
        using var unknownRunResponse = await host.Client.SendAsync(unknownRun);
        using var badStart = host.WithKey(HttpMethod.Post, "/api/pipelines", Json("not json"));
        using var badStartResponse = await host.Client.SendAsync(badStart);
        using var badList = host.WithKey(HttpMethod.Get, "/api/pipelines?top=0");
        using var badListResponse = await host.Client.SendAsync(badList);

        Assert.Equal(HttpStatusCode.OK, withHeader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withCode.StatusCode);
        Assert.Equal(1, (await fixture.Registry.GetAliasesAsync(fixture.Model)).Aliases["staging"]);
        Assert.Equal(HttpStatusCode.NotFound, unknownRunResponse.StatusCode);
        Assert.Contains("no-such-run", (await ReadJsonAsync(unknownRunResponse)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badStartResponse.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badListResponse.StatusCode);
        Assert.Contains("top must be", (await ReadJsonAsync(badListResponse)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [FunctionsHostFact]
    public async Task IdxUpload_WithSettings_TrainsPublishesAndServes_AndTheSameUploadAgainPublishesNothing()
    {
        var host = await fixture.FunctionsAsync();
        string model = UniqueModel("idx");
        byte[] archive = await File.ReadAllBytesAsync(fixture.IdxArchive(model));

        // The archive first, its settings right after (the same second): the run must use the settings.
        await UploadAsync($"datasets/{model}/fashion.zip", archive);
        await UploadAsync($"datasets/{model}/lepton.json", Encoding.UTF8.GetBytes("""{"architecture":"mlp","epochs":1,"minimumAccuracy":0.1}"""));
        var run = await WaitForUploadRunAsync(model, "fashion.zip", TimeSpan.FromSeconds(60));
        var status = await WaitForEndAsync(run.InstanceId!);

        Assert.True(run.Started);
        Assert.Equal("Completed", status.GetProperty("status").GetString());
        var result = status.GetProperty("result");
        Assert.Equal("Published", result.GetProperty("outcome").GetString());
        Assert.Equal(1, result.GetProperty("version").GetInt32());
        Assert.True(result.GetProperty("promoted").GetBoolean());
        Assert.Equal("mlp", (await fixture.Registry.GetManifestAsync(model, 1)).Architecture);

        var image = TestDatasets.FashionMnist.Test.Take(1);
        using var content = new ByteArrayContent(ImageFiles.Encode(image.Images.Pixels.Take(784).Select(p => p / 255f).ToArray(), 28, 28));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        using var predict = await host.Client.PostAsync($"/api/models/{model}/predict", content);
        var prediction = await ReadJsonAsync(predict);
        Assert.Equal(HttpStatusCode.OK, predict.StatusCode);
        Assert.Equal(1, prediction.GetProperty("version").GetInt32());
        Assert.Contains(prediction.GetProperty("predictions")[0].GetProperty("label").GetString(), TestDatasets.FashionMnist.LabelNames);

        // The same bytes again: a new blob (a new ETag, so a new instance: nothing was downloaded to start
        // it) that prepares the same data, finds the version published from it and trains nothing.
        await UploadAsync($"datasets/{model}/fashion.zip", archive);
        var again = await WaitForUploadRunAsync(model, "fashion.zip", TimeSpan.FromSeconds(60));
        Assert.NotEqual(run.InstanceId, again.InstanceId);
        var againStatus = await WaitForEndAsync(again.InstanceId!);
        Assert.Equal("AlreadyPublished", againStatus.GetProperty("result").GetProperty("outcome").GetString());
        Assert.Equal(1, againStatus.GetProperty("result").GetProperty("version").GetInt32());
        Assert.Equal(0, againStatus.GetProperty("result").GetProperty("trainingAttempts").GetInt32());
        Assert.Equal([1], await fixture.Registry.ListVersionsAsync(model));
    }

    [FunctionsHostFact]
    public async Task ClassFolderUpload_TrainsAndPublishes()
    {
        string model = UniqueModel("folders");
        var data = TestDatasets.FashionMnist.Train;
        string[] classes = ["tshirt", "trouser", "bag"];
        int[] labels = [0, 1, 8];
        using var zip = new MemoryStream();
        using (var writer = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            var counts = new int[classes.Length];
            for (int i = 0; i < data.Count && counts.Min() < 30; i++)
            {
                int c = Array.IndexOf(labels, (int)data.Labels[i]);
                if (c < 0 || counts[c] >= 30)
                {
                    continue;
                }

                var pixels = data.Images.Pixels.AsSpan(i * 784, 784).ToArray().Select(p => p / 255f).ToArray();
                var entry = writer.CreateEntry($"{classes[c]}/{counts[c]++:D3}.png");
                await using var stream = entry.Open();
                await stream.WriteAsync(ImageFiles.Encode(pixels, 28, 28));
            }
        }

        await UploadAsync($"datasets/{model}/lepton.json", Encoding.UTF8.GetBytes("""{"architecture":"mlp","epochs":2,"minimumAccuracy":0.1}"""));
        await UploadAsync($"datasets/{model}/images.zip", zip.ToArray());
        var run = await WaitForUploadRunAsync(model, "images.zip", TimeSpan.FromSeconds(60));
        var status = await WaitForEndAsync(run.InstanceId!);

        Assert.True(status.GetProperty("status").GetString() == "Completed", Text(status));
        Assert.Equal("Published", status.GetProperty("result").GetProperty("outcome").GetString());
        var manifest = await fixture.Registry.GetManifestAsync(model, 1);
        Assert.Equal(classes.Order(StringComparer.Ordinal), manifest.Labels.Order(StringComparer.Ordinal));
    }

    [FunctionsHostFact]
    public async Task StartOverHttp_ThenCancel_EndsCanceled_AndTheTrainerIsGone()
    {
        var host = await fixture.FunctionsAsync();
        string model = UniqueModel("cancel");
        // Not at datasets/{model}/{file}: the upload scan leaves it alone; only the HTTP request starts it.
        await UploadAsync($"datasets/{model}/manual/fashion.zip", await File.ReadAllBytesAsync(fixture.IdxArchive(model, train: 2000)));

        using var start = host.WithKey(HttpMethod.Post, "/api/pipelines",
            Json($$"""{"modelName":"{{model}}","dataset":"datasets/{{model}}/manual/fashion.zip","training":{"architecture":"cnn","epochs":50},"pollInterval":"00:00:00.500"}"""));
        using var started = await host.Client.SendAsync(start);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        string id = (await ReadJsonAsync(started)).GetProperty("id").GetString()!;
        string runs = Path.Combine(fixture.FunctionsSettings["LEPTON_WORK"], "runs");
        string RunFolder() => Directory.Exists(runs) ? Directory.GetDirectories(runs, $"{model}-*").SingleOrDefault() ?? runs : runs; // run ids start with the model

        var deadline = DateTime.UtcNow + RunTimeout;
        while (!(await StatusAsync(id)).TryGetProperty("progress", out var progress) || progress.ValueKind != JsonValueKind.Object
            || progress.GetProperty("stage").GetString() != "training" || TrainerProcesses(RunFolder()).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"training did not start: {await StatusAsync(id)}");
            await Task.Delay(250);
        }

        using var cancel = host.WithKey(HttpMethod.Post, $"/api/pipelines/{id}/cancel");
        using var canceled = await host.Client.SendAsync(cancel);
        var status = await WaitForEndAsync(id);

        Assert.Equal(HttpStatusCode.Accepted, canceled.StatusCode);
        Assert.Equal("Canceled", status.GetProperty("result").GetProperty("outcome").GetString());
        var gone = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (TrainerProcesses(RunFolder()).Count > 0 && DateTime.UtcNow < gone)
        {
            await Task.Delay(200);
        }

        Assert.Empty(TrainerProcesses(RunFolder()));
        Assert.Empty(await fixture.Registry.ListVersionsAsync(model));

        // The list of runs (what the console shows) has it, as its status route answers, newest first.
        using var list = host.WithKey(HttpMethod.Get, "/api/pipelines?top=100");
        using var listed = await host.Client.SendAsync(list);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var runsListed = (await ReadJsonAsync(listed)).GetProperty("runs").EnumerateArray().ToList();
        var entry = Assert.Single(runsListed, r => r.GetProperty("id").GetString() == id);
        Assert.Equal("Completed", entry.GetProperty("status").GetString());
        Assert.Equal("Canceled", entry.GetProperty("result").GetProperty("outcome").GetString());
        var created = runsListed.Select(r => r.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(created.OrderByDescending(c => c), created);
    }

    [FunctionsHostFact]
    public async Task CorruptedUpload_FailsWithTheFileAndTheProblem_AndPublishesNothing()
    {
        string model = UniqueModel("corrupt");
        string folder = TestDatasets.WriteSlice(Path.Combine(fixture.Work, model), 300, 50);
        string images = Path.Combine(folder, MnistDataset.TrainImages + ".gz");
        byte[] raw = await File.ReadAllBytesAsync(images);
        await File.WriteAllBytesAsync(images, raw[..(raw.Length / 2)]);
        string archive = Path.Combine(fixture.Work, model + ".zip");
        ZipFile.CreateFromDirectory(folder, archive);

        await UploadAsync($"datasets/{model}/lepton.json", Encoding.UTF8.GetBytes("""{"architecture":"mlp","epochs":1}"""));
        await UploadAsync($"datasets/{model}/broken.zip", await File.ReadAllBytesAsync(archive));
        var run = await WaitForUploadRunAsync(model, "broken.zip", TimeSpan.FromSeconds(60));
        var status = await WaitForEndAsync(run.InstanceId!);

        Assert.Equal("Failed", status.GetProperty("status").GetString());
        string failure = status.GetProperty("failure").GetString() ?? throw new InvalidOperationException($"no failure in {Text(status)}");
        Assert.Contains(MnistDataset.TrainImages, failure, StringComparison.Ordinal);
        Assert.Empty(await fixture.Registry.ListVersionsAsync(model));
    }

    /// <summary>Trainer processes writing to this run folder (their command line names it).</summary>
    private static List<int> TrainerProcesses(string runFolder)
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("lepton-trainer", StringComparison.Ordinal) && cmdline.Contains(runFolder, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // exited while we looked
            }
        }

        return found;
    }
}
