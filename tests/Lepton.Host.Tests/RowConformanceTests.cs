using System.Net;
using System.Text;
using System.Text.Json;
using Lepton.Cards;
using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;
using Lepton.Pipeline.Compute;
using Lepton.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lepton.Host.Tests;

/// <summary>
/// Text and table models on both hosts: trained once per test run (text-bow on keyword texts, tabular-mlp
/// on threshold rows, by the trainer as the pipeline starts it), published with their cards, then the
/// same requests to <c>lepton serve</c> and the Functions app: predict, OIP v2 (BYTES; one input per
/// column), model metadata, explain, cards, and bad requests as 4xx naming the field or column.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class RowConformanceTests(HostsFixture fixture)
{
    private static readonly Lazy<Task<(string Texts, string Table, string Data)>> Trained = new(TrainAsync);
    private static readonly SemaphoreSlim PublishGate = new(1, 1);
    private static (string Text, string Table)? s_published;

    private static async Task<(string Texts, string Table, string Data)> TrainAsync()
    {
        string root = TestDatasets.ProcessTempFolder("lepton-row-models-");
        var texts = DatasetPreparation.Prepare(RowDatasets.WriteTexts(Path.Combine(root, "texts.csv"), 480), Path.Combine(root, "work"));
        var table = DatasetPreparation.Prepare(RowDatasets.WriteTable(Path.Combine(root, "table.csv"), 600), Path.Combine(root, "work"));
        foreach (var (data, run, epochs) in new[] { (texts.Folder, "texts", "4"), (table.Folder, "table", "25") })
        {
            await TrainedRun.TrainerAsync(["train", "--data", data, "--out", Path.Combine(root, run), "--epochs", epochs, "--lr", "0.01", "--batch-size", "32", "--threads", "1"],
                Path.Combine(root, run + ".log"));
        }

        return (Path.Combine(root, "texts"), Path.Combine(root, "table"), Path.Combine(root, "work", "prepared"));
    }

    /// <summary>The two models in the fixture's registry (published once for every test here).</summary>
    private async Task<(string Text, string Table)> ModelsAsync()
    {
        await PublishGate.WaitAsync();
        try
        {
            if (s_published is { } done)
            {
                return done;
            }

            var (textRun, tableRun, prepared) = await Trained.Value;
            string suffix = Guid.NewGuid().ToString("N")[..8];
            var names = ("reviews-" + suffix, "credit-" + suffix);
            foreach (var (run, name) in new[] { (textRun, names.Item1), (tableRun, names.Item2) })
            {
                string data = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "job.json"))).RootElement.GetProperty("data").GetString()!;
                await TrainedRun.PublishAsync(fixture.Registry, name, run, data);
            }

            s_published = names;
            return names;
        }
        finally
        {
            PublishGate.Release();
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task TextModel_PredictInferExplainAndCard(string host)
    {
        var client = await fixture.ClientAsync(host);
        var (text, _) = await ModelsAsync();
        var random = new Random(5);

        foreach (var (label, keyword) in RowDatasets.TextClasses)
        {
            var (status, body) = await PostAsync(client, $"/api/models/{text}/predict", JsonSerializer.Serialize(new { text = RowDatasets.Text(random, keyword) }));
            Assert.True(status == HttpStatusCode.OK, body.ToString());
            Assert.Equal(label, body.GetProperty("predictions")[0].GetProperty("label").GetString());
        }

        var (inferStatus, infer) = await PostAsync(client, $"/v2/models/{text}/infer",
            """{"id":"r1","inputs":[{"name":"text","datatype":"BYTES","shape":[1],"data":["the maple near the road"]}],"outputs":[{"name":"probabilities"}]}""");
        Assert.True(inferStatus == HttpStatusCode.OK, infer.ToString());
        Assert.Equal("r1", infer.GetProperty("id").GetString());
        var p = infer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(2, Array.IndexOf(p, p.Max())); // tree

        using (var metadata = await client.GetAsync($"/v2/models/{text}"))
        {
            var input = JsonDocument.Parse(await metadata.Content.ReadAsStringAsync()).RootElement.GetProperty("inputs")[0];
            Assert.Equal(("text", "BYTES"), (input.GetProperty("name").GetString(), input.GetProperty("datatype").GetString()));
        }

        var (explainStatus, explained) = await PostAsync(client, $"/api/models/{text}/explain", """{"text":"we saw some banana today"}""");
        Assert.True(explainStatus == HttpStatusCode.OK, explained.ToString());
        Assert.Equal("banana", explained.GetProperty("tokens").EnumerateArray().MaxBy(t => t.GetProperty("weight").GetDouble()).GetProperty("token").GetString());

        var (tooLong, _) = await PostAsync(client, $"/api/models/{text}/predict", JsonSerializer.Serialize(new { text = new string('x', 20_001) }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLong);
        var (wrongInput, wrong) = await PostAsync(client, $"/v2/models/{text}/infer", """{"inputs":[{"name":"tokens","datatype":"INT64","shape":[1,3],"data":[1,2,3]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongInput);
        Assert.Contains("expected one BYTES input 'text'", wrong.GetProperty("error").GetString(), StringComparison.Ordinal);

        using var card = await client.GetAsync($"/api/models/{text}/versions/1/card");
        var cardJson = JsonDocument.Parse(await card.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("text-bow", cardJson.GetProperty("architecture").GetString());
        Assert.Equal(JsonValueKind.Array, cardJson.GetProperty("mistakes").ValueKind);
        // A stratified sixth of 160 texts a class: 27 each.
        Assert.Equal(81, cardJson.GetProperty("dataset").GetProperty("testClassCounts").EnumerateObject().Sum(c => c.Value.GetInt32()));
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task TableModel_PredictInferExplainAndCard(string host)
    {
        var client = await fixture.ClientAsync(host);
        var (_, table) = await ModelsAsync();

        var (status, body) = await PostAsync(client, $"/api/models/{table}/predict", """{"instances":[{"income": 88, "age": 41, "city": "south"}, {"income": 12, "city": "north"}]}""");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(["high", "low"], body.GetProperty("predictions").EnumerateArray().Select(x => x.GetProperty("label").GetString()));

        var (inferStatus, infer) = await PostAsync(client, $"/v2/models/{table}/infer",
            """{"inputs":[{"name":"income","datatype":"FP64","shape":[1],"data":[99.5]},{"name":"city","datatype":"BYTES","shape":[1],"data":["east"]},{"name":"age","datatype":"INT64","shape":[1],"data":[20]}]}""");
        Assert.True(inferStatus == HttpStatusCode.OK, infer.ToString());
        var logits = infer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.True(logits[0] > logits[1], string.Join(", ", logits)); // high

        var (explainStatus, explained) = await PostAsync(client, $"/api/models/{table}/explain", """{"instances":[{"income": 3, "age": 60, "city": "east"}]}""");
        Assert.True(explainStatus == HttpStatusCode.OK, explained.ToString());
        Assert.Equal("income", explained.GetProperty("columns")[0].GetProperty("column").GetString());

        foreach (var (json, problem) in new[]
        {
            ("""{"instances":[{"age": 30, "city": "north"}]}""", "missing column 'income'"),
            ("""{"instances":[{"income": "many", "city": "north"}]}""", "column 'income': 'many' is not a number"),
            ("""{"instances":[{"income": 5, "city": "north", "zip": "x"}]}""", "unknown column 'zip'"),
        })
        {
            var (badStatus, bad) = await PostAsync(client, $"/api/models/{table}/predict", json);
            Assert.Equal(HttpStatusCode.BadRequest, badStatus);
            Assert.Contains(problem, bad.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        using var card = await client.GetAsync($"/api/models/{table}/versions/1/card");
        var cardJson = JsonDocument.Parse(await card.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("income", cardJson.GetProperty("columnImportance")[0].GetProperty("column").GetString());
        Assert.Contains("confusion", cardJson.GetProperty("images").EnumerateObject().Select(i => i.Name));
        Assert.DoesNotContain(fixture.Output(host).Split('\n'), line => line.Contains("Unhandled", StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task Console_OnServe_TriesTextInATextBoxAndARowInAFormOfItsColumns()
    {
        var (text, table) = await ModelsAsync();
        var serve = await fixture.ServeAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync();
        var page = await browser.OpenAsync(serve.Client.BaseAddress!);

        await page.Locator($"#models tr[data-model='{text}'] button").ClickAsync();
        await Expect(page.Locator("#model-title")).ToHaveTextAsync(text);
        await Expect(page.Locator("#rows-panel")).ToBeVisibleAsync();
        await Expect(page.Locator("#text-input")).ToBeVisibleAsync();
        await Expect(page.Locator("#drop")).ToBeHiddenAsync();
        await Expect(page.Locator("#draw-panel")).ToBeHiddenAsync();
        await page.Locator("#text-input").FillAsync("we saw some copper near the house");
        await page.Locator("#rows-predict").ClickAsync();
        await Expect(page.Locator("#prediction")).ToContainTextAsync("metal (");
        await Expect(page.Locator("#row-weights .weight", new PageLocatorOptions { HasText = "copper" })).ToHaveCountAsync(1);
        await ConsoleBrowser.ScreenshotAsync(page, "serve-try-text", "#try");

        await page.Locator($"#models tr[data-model='{table}'] button").ClickAsync();
        await Expect(page.Locator("#model-title")).ToHaveTextAsync(table);
        await Expect(page.Locator("#table-input [data-column]")).ToHaveCountAsync(3);
        await Expect(page.Locator("#card-importance li").First).ToHaveAttributeAsync("data-column", "income");
        await page.Locator("#table-input [data-column=income]").FillAsync("91");
        await page.Locator("#table-input [data-column=age]").FillAsync("40");
        await page.Locator("#table-input [data-column=city]").SelectOptionAsync("north");
        await page.Locator("#rows-predict").ClickAsync();
        await Expect(page.Locator("#prediction")).ToContainTextAsync("high (");
        await Expect(page.Locator("#row-weights .weight")).ToHaveCountAsync(3);
        await ConsoleBrowser.ScreenshotAsync(page, "serve-try-table", "#try");

        var errors = browser.Errors.Where(e => !(e.Contains("status of 404", StringComparison.Ordinal) && e.Contains("/card", StringComparison.Ordinal))).ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    [FunctionsHostFact]
    public async Task CsvUpload_ToTheFunctionsApp_TrainsPublishesAndServesATextModel()
    {
        var host = await fixture.FunctionsAsync();
        string model = "csv-" + Guid.NewGuid().ToString("N")[..8];
        fixture.UploadedTo(model);
        var store = fixture.Registry.Store;
        string csv = RowDatasets.WriteTexts(Path.Combine(fixture.Work, model + ".csv"), 240, seed: 8);
        await store.WriteAsync($"datasets/{model}/{UploadSettings.FileName}", new MemoryStream(Encoding.UTF8.GetBytes("""{"epochs": 6, "learningRate": 0.01, "batchSize": 16}""")));
        await store.WriteAsync($"datasets/{model}/reviews.csv", new MemoryStream(await File.ReadAllBytesAsync(csv)));

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var info = await store.GetInfoAsync($"datasets/{model}/reviews.csv", wait.Token);
        var upload = await UploadRun.WaitAsync(store, model, "reviews.csv", info!.ETag, wait.Token);
        Assert.True(upload.Started, upload.ToString());

        JsonElement status = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            using var request = host.WithKey(HttpMethod.Get, $"/api/pipelines/{upload.InstanceId}");
            using var response = await host.Client.SendAsync(request);
            status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (status.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.True(status.GetProperty("status").GetString() == "Completed", status.ToString());
        var result = status.GetProperty("result");
        Assert.Equal("published", result.GetProperty("outcome").GetString(), ignoreCase: true);
        Assert.True(result.GetProperty("accuracy").GetDouble() >= 0.9, status.ToString());
        Assert.Equal("text-bow", (await fixture.Registry.GetManifestAsync(model, 1)).Architecture);

        var (predicted, body) = await PostAsync(host.Client, $"/api/models/{model}/predict?version=1", """{"text":"we saw the copper again"}""");
        Assert.True(predicted == HttpStatusCode.OK, body.ToString());
        Assert.Equal("metal", body.GetProperty("predictions")[0].GetProperty("label").GetString());
    }

    [FunctionsHostFact]
    public async Task CsvUploadToTheBatchContainer_ScoresEveryRow_OfATableAndATextModel_BadRowsRecorded()
    {
        var host = await fixture.FunctionsAsync();
        var (text, table) = await ModelsAsync();
        var store = fixture.Registry.Store;
        // Table rows (income decides: above 50 is high), one whose income is not a number; then texts, one empty.
        var rows = new StringBuilder("city,income,age\n");
        for (int i = 0; i < 30; i++)
        {
            rows.Append(i % 3 == 0 ? "north" : "east").Append(',').Append(i < 15 ? 10 + i : 70 + i).Append(',').Append(30 + i).Append('\n');
        }

        rows.Append("south,lots,40\n");
        var texts = new StringBuilder("id,text\n");
        var random = new Random(5);
        for (int i = 0; i < 9; i++)
        {
            texts.Append(i).Append(",\"").Append(RowDatasets.Text(random, RowDatasets.TextClasses[i % 3].Keyword).Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\"\n");
        }

        texts.Append("9,\n");
        string file = $"rows-{Guid.NewGuid():N}.csv";
        await store.WriteAsync($"batch/{table}/{file}", new MemoryStream(Encoding.UTF8.GetBytes(rows.ToString())));
        await store.WriteAsync($"batch/{text}/{file}", new MemoryStream(Encoding.UTF8.GetBytes(texts.ToString())));

        var tableRun = await BatchScoringHostTests.WaitForUploadRunAsync(store, table, file, TimeSpan.FromSeconds(60));
        var textRun = await BatchScoringHostTests.WaitForUploadRunAsync(store, text, file, TimeSpan.FromSeconds(60));
        var tableJob = await BatchScoringHostTests.WaitForJobAsync(host, tableRun.InstanceId!, TimeSpan.FromMinutes(2));
        var textJob = await BatchScoringHostTests.WaitForJobAsync(host, textRun.InstanceId!, TimeSpan.FromMinutes(2));

        Assert.True(tableJob.GetProperty("status").GetString() == "Completed", tableJob.ToString());
        Assert.True(textJob.GetProperty("status").GetString() == "Completed", textJob.ToString());
        var tableLines = await LinesAsync(tableJob);
        Assert.Equal(31, tableLines.Length);
        Assert.Equal(Enumerable.Range(2, 31).Select(n => $"line {n}"), tableLines.Select(l => l.GetProperty("input").GetString()));
        Assert.Contains("lots", tableLines[30].GetProperty("error").GetString(), StringComparison.Ordinal);
        int right = tableLines.Take(30).Select((l, i) => l.GetProperty("label").GetString() == (i < 15 ? "low" : "high") ? 1 : 0).Sum();
        Assert.True(right >= 27, $"{right} of 30 rows scored as their income says");
        Assert.Equal(1, tableJob.GetProperty("summary").GetProperty("failures").GetArrayLength());

        var textLines = await LinesAsync(textJob);
        Assert.Equal(10, textLines.Length);
        int texted = textLines.Take(9).Select((l, i) => l.GetProperty("label").GetString() == RowDatasets.TextClasses[i % 3].Label ? 1 : 0).Sum();
        Assert.True(texted >= 8, $"{texted} of 9 texts scored as their keyword says");
        Assert.Contains("empty", textLines[9].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement[]> LinesAsync(JsonElement job) =>
        [.. (await fixture.Registry.Store.ReadAsync(job.GetProperty("summary").GetProperty("results").GetString()!))!.Data.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
}
