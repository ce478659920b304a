using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data.Tables;
using Lepton.Inference;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;
using Lepton.Tests;
using Lepton.Trainer;
using Xunit.Abstractions;

namespace Lepton.Training.Tests.Trainer;

/// <summary>
/// Text and tables through every layer: generated CSVs whose answer is known (a keyword decides a text's
/// class; a threshold on one column decides a row's) prepared, trained with each row family, exported
/// with TorchSharp parity, published with their cards, and served by 'lepton serve' (predict, OIP v2,
/// explain, bad requests).
/// </summary>
public sealed class RowTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-row-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private TrainingMetrics Train(PreparedDataset prepared, string architecture, int epochs, double lr, string run) =>
        new TrainingJob(new TrainingJobSpec { Architecture = architecture, Data = prepared.Folder, Output = Path.Combine(_dir, run), Epochs = epochs, BatchSize = 32, LearningRate = lr, Seed = 3, Threads = 2 }, TextWriter.Null).Run();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(ServerProcess server, string path, string json)
    {
        using var response = await server.Client.PostAsync(path, Json(json));
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Texts_KeywordDecides_EachTextFamilyLearnsIt_AndIsServedAsTrained()
    {
        var prepared = DatasetPreparation.Prepare(RowDatasets.WriteTexts(Path.Combine(_dir, "texts.csv"), 480), Path.Combine(_dir, "work"));
        Assert.Equal(DataKind.Text, prepared.Kind);
        Assert.Equal(["fruit", "metal", "tree"], prepared.Labels);

        // --arch auto on text is text-bow.
        var bow = Train(prepared, KnownArchitectures.Auto, epochs: 4, lr: 0.01, "bow");
        var gru = Train(prepared, "text-gru", epochs: 2, lr: 0.01, "gru");
        var lstm = Train(prepared, "text-lstm", epochs: 2, lr: 0.01, "lstm");
        foreach (var m in new[] { bow, gru, lstm })
        {
            output.WriteLine($"{m.Architecture}: test accuracy {m.Test.Accuracy:F4} on {m.Test.Examples}; parity max |diff| {m.Parity.MaxAbsDifference:E2}, {m.Parity.PredictionMismatches} mismatches");
            Assert.True(m.Test.Accuracy >= 0.9, $"{m.Architecture}: test accuracy {m.Test.Accuracy}");
            Assert.Equal(0, m.Parity.PredictionMismatches);
            Assert.True(m.Parity.MaxAbsDifference < 1e-3, $"{m.Architecture}: parity {m.Parity.MaxAbsDifference}");
        }

        Assert.Equal("text-bow", bow.Architecture);

        // The signature and the tokenizer travel in the model file.
        byte[] model = File.ReadAllBytes(Path.Combine(_dir, "bow", RunFolder.Model));
        var signature = ModelInspector.Describe(model).Signature;
        Assert.Equal(InputKind.Text, signature.Input.Kind);
        Assert.Equal("tokens", signature.Input.Tensor);
        Assert.Equal("text", signature.Input.Text!.Field);

        string store = Path.Combine(_dir, "store");
        foreach (string run in new[] { "bow", "gru" })
        {
            var (code, published) = LeptonCli.Run("models", "publish", "--store", store, "--name", "texts", "--run", Path.Combine(_dir, run));
            Assert.True(code == 0, published);
        }

        await using var server = await ServerProcess.StartAsync(store);
        var random = new Random(99);
        foreach (int version in new[] { 1, 2 })
        {
            foreach (var (label, keyword) in RowDatasets.TextClasses)
            {
                var (status, body) = await PostAsync(server, $"/api/models/texts/predict?version={version}", JsonSerializer.Serialize(new { text = RowDatasets.Text(random, keyword) }));
                Assert.True(status == HttpStatusCode.OK, body.ToString());
                Assert.Equal(label, body.GetProperty("predictions")[0].GetProperty("label").GetString());
            }
        }

        // The tokenizer round trip: served probabilities are ONNX Runtime's on the training tokenizer's ids.
        string sample = "Old MAPLE, near the road!";
        using (var scorer = new OnnxRowScorer(Path.Combine(_dir, "bow", RunFolder.Model)))
        {
            float[] expected = Scores.Softmax(scorer.Score(scorer.Tokenizer!.Encode([sample]), 1), 3);
            var (_, served) = await PostAsync(server, "/api/models/texts/predict?version=1&top=3", JsonSerializer.Serialize(new { instances = new[] { new { text = sample } } }));
            foreach (var t in served.GetProperty("predictions")[0].GetProperty("top").EnumerateArray())
            {
                Assert.Equal(expected[t.GetProperty("class").GetInt32()], t.GetProperty("probability").GetSingle(), 5);
            }
        }

        // OIP v2: one BYTES input of texts.
        var (inferStatus, infer) = await PostAsync(server, "/v2/models/texts/versions/1/infer",
            """{"inputs":[{"name":"text","datatype":"BYTES","shape":[2],"data":["we saw copper today","a banana"]}],"outputs":[{"name":"probabilities"}]}""");
        Assert.True(inferStatus == HttpStatusCode.OK, infer.ToString());
        var probabilities = infer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(6, probabilities.Length);
        Assert.True(probabilities[1] > 0.5 && probabilities[3] > 0.5, string.Join(", ", probabilities)); // metal, then fruit
        var (_, metadata) = await PostAsync(server, "/v2/models/texts/infer", """{"inputs":[]}""");
        Assert.Contains("text", metadata.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Explain: leaving the keyword out costs the most.
        var (explainStatus, explained) = await PostAsync(server, "/api/models/texts/explain?version=1", """{"text":"the old house near copper road"}""");
        Assert.True(explainStatus == HttpStatusCode.OK, explained.ToString());
        Assert.Equal("metal", explained.GetProperty("label").GetString());
        var tokens = explained.GetProperty("tokens").EnumerateArray().ToArray();
        Assert.Equal(["the", "old", "house", "near", "copper", "road"], tokens.Select(t => t.GetProperty("token").GetString()));
        Assert.Equal("copper", tokens.MaxBy(t => t.GetProperty("weight").GetDouble()).GetProperty("token").GetString());

        // Bad requests name the field.
        var (tooLong, tooLongBody) = await PostAsync(server, "/api/models/texts/predict", JsonSerializer.Serialize(new { text = new string('a', TextInputSpec.DefaultMaxCharacters + 1) }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLong);
        Assert.Contains("text: 20,001 characters", tooLongBody.GetProperty("error").GetString(), StringComparison.Ordinal);
        var (notText, notTextBody) = await PostAsync(server, "/api/models/texts/predict", """{"instances":[{"text": 5}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, notText);
        Assert.Contains("instances[0].text must be a string", notTextBody.GetProperty("error").GetString(), StringComparison.Ordinal);
        var (noField, _) = await PostAsync(server, "/api/models/texts/predict", """{"review":"x"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noField);
    }

    [Fact]
    public async Task Table_ThresholdDecides_TabularMlpLearnsIt_AndIsServedByColumn()
    {
        var prepared = DatasetPreparation.Prepare(RowDatasets.WriteTable(Path.Combine(_dir, "table.csv"), 900), Path.Combine(_dir, "work"));
        Assert.Equal(DataKind.Table, prepared.Kind);

        var metrics = Train(prepared, KnownArchitectures.Auto, epochs: 30, lr: 0.01, "table");
        output.WriteLine($"{metrics.Architecture}: test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples}; importance {string.Join(", ", metrics.ColumnImportance!.Select(c => $"{c.Column} {c.AccuracyDrop:F3}"))}");
        Assert.Equal("tabular-mlp", metrics.Architecture);
        Assert.True(metrics.Test.Accuracy >= 0.9, $"test accuracy {metrics.Test.Accuracy}");
        Assert.Equal(0, metrics.Parity.PredictionMismatches);
        Assert.Equal("income", metrics.ColumnImportance![0].Column); // the column that decides
        Assert.True(metrics.ColumnImportance[0].AccuracyDrop > 0.2);

        string store = Path.Combine(_dir, "store");
        var (code, published) = LeptonCli.Run("models", "publish", "--store", store, "--name", "table", "--run", Path.Combine(_dir, "table"));
        Assert.True(code == 0, published);
        await using var server = await ServerProcess.StartAsync(store);

        var (status, body) = await PostAsync(server, "/api/models/table/predict",
            """{"instances":[{"income": 90, "age": 30, "city": "north"}, {"income": "10.5", "city": "east"}, {"income": 80, "age": null, "city": "nowhere"}]}""");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(["high", "low", "high"], body.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("label").GetString()));

        // OIP v2: one input per column, as KServe does; the metadata lists them.
        var (inferStatus, infer) = await PostAsync(server, "/v2/models/table/infer",
            """{"inputs":[{"name":"income","datatype":"FP32","shape":[2,1],"data":[[95],[5]]},{"name":"age","datatype":"FP32","shape":[2],"data":[40,50]},{"name":"city","datatype":"BYTES","shape":[2],"data":["south","south"]}]}""");
        Assert.True(inferStatus == HttpStatusCode.OK, infer.ToString());
        var logits = infer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.True(logits[0] > logits[1] && logits[3] > logits[2], string.Join(", ", logits)); // labels: high, low
        using (var response = await server.Client.GetAsync("/v2/models/table"))
        {
            var inputs = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("inputs").EnumerateArray()
                .Select(i => (i.GetProperty("name").GetString(), i.GetProperty("datatype").GetString())).ToArray();
            Assert.Equal([("income", "FP32"), ("age", "FP32"), ("city", "BYTES")], inputs);
        }

        // Explain: setting income to its mean moves the prediction most.
        var (explainStatus, explained) = await PostAsync(server, "/api/models/table/explain", """{"instances":[{"income": 97, "age": 33, "city": "east"}]}""");
        Assert.True(explainStatus == HttpStatusCode.OK, explained.ToString());
        Assert.Equal("income", explained.GetProperty("columns")[0].GetProperty("column").GetString());

        // Bad requests name the column.
        foreach (var (json, problem) in new[]
        {
            ("""{"instances":[{"age": 30, "city": "north"}]}""", "instances[0]: missing column 'income'"),
            ("""{"instances":[{"income": "lots", "city": "north"}]}""", "instances[0]: column 'income': 'lots' is not a number"),
            ("""{"instances":[{"income": 5, "city": "north", "zip": 1}]}""", "instances[0]: unknown column 'zip'"),
            ("""{"instances":[{"income": [5], "city": "north"}]}""", "instances[0].income must be a number, a string or null"),
            ("""{"inputs":[{"name":"income","datatype":"FP32","shape":[1],"data":[5]},{"name":"city","datatype":"BYTES","shape":[2],"data":["a","b"]}]}""", "input 'city' has 2 values, the others 1"),
        })
        {
            string path = json.Contains("inputs", StringComparison.Ordinal) ? "/v2/models/table/infer" : "/api/models/table/predict";
            var (badStatus, bad) = await PostAsync(server, path, json);
            Assert.Equal(HttpStatusCode.BadRequest, badStatus);
            Assert.Contains(problem, bad.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // The card: column importance, and the confusion matrix from the test rows.
        using var card = await server.Client.GetAsync("/api/models/table/versions/1/card");
        var cardJson = JsonDocument.Parse(await card.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("income", cardJson.GetProperty("columnImportance")[0].GetProperty("column").GetString());
        Assert.Equal(prepared.TestExamples, cardJson.GetProperty("dataset").GetProperty("testClassCounts").EnumerateObject().Sum(p => p.Value.GetInt32()));
    }

    [Fact]
    public async Task Table_ThresholdDecides_GradientBoostedTreesLearnIt_AndAreServedByColumn()
    {
        var prepared = DatasetPreparation.Prepare(RowDatasets.WriteTable(Path.Combine(_dir, "table.csv"), 600), Path.Combine(_dir, "work"));

        var metrics = Train(prepared, GradientBoostedTrees.Name, epochs: 1, lr: 0.01, "gbdt");
        output.WriteLine($"{metrics.Architecture}: test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples}, ML.NET {metrics.TorchTestAccuracy:F4}, " +
            $"parity {metrics.Parity.MaxAbsDifference:E2} / {metrics.Parity.PredictionMismatches}, {metrics.TrainSeconds:F1} s; importance {string.Join(", ", metrics.ColumnImportance!.Select(c => $"{c.Column} {c.AccuracyDrop:F3}"))}");
        Assert.Equal("tabular-gbdt", metrics.Architecture);
        Assert.True(metrics.Test.Accuracy >= 0.9, $"test accuracy {metrics.Test.Accuracy}");
        Assert.Equal(metrics.Test.Examples, metrics.Parity.Examples);
        Assert.Equal(0, metrics.Parity.PredictionMismatches);
        Assert.True(metrics.Parity.MaxAbsDifference < 1e-4, $"parity {metrics.Parity.MaxAbsDifference}"); // probabilities: ML.NET against softmax of the file's logits
        Assert.Equal("income", metrics.ColumnImportance![0].Column);
        var history = LeptonJson.ReadFile<TrainingHistory>(Path.Combine(_dir, "gbdt", RunFolder.History));
        Assert.Single(history.Epochs);
        Assert.Equal(JobState.Succeeded, LeptonJson.ReadFile<TrainingStatus>(Path.Combine(_dir, "gbdt", RunFolder.Status)).State);
        Assert.Equal(prepared.TestExamples, JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "gbdt", RunFolder.Predictions))).RootElement.GetProperty("inputs").GetArrayLength());

        // The file follows the contract: one input 'features' [N,F], one output 'logits' [N,2], Lepton's metadata.
        var described = ModelInspector.Describe(File.ReadAllBytes(Path.Combine(_dir, "gbdt", RunFolder.Model)));
        Assert.Equal(["features"], described.Inputs.Select(i => i.Name));
        Assert.Equal(["logits"], described.Outputs.Select(o => o.Name));
        Assert.Equal(12, described.Opset); // ML.NET's converter writes ai.onnx 12 (+ ai.onnx.ml 2)
        Assert.Equal("tabular-gbdt", described.Architecture);
        Assert.Equal(ModelKind.Classifier, described.Signature.Kind);
        Assert.Equal(InputKind.Table, described.Signature.Input.Kind);
        Assert.Equal("features", described.Signature.Input.Tensor);
        Assert.Equal(["income", "age", "city"], described.Signature.Input.Table!.Columns.Select(c => c.Name));
        Assert.Equal(["high", "low"], described.Signature.Output.Labels);
        Assert.Equal(OutputKind.Logits, described.Signature.Output.Kind);
        using (var scorer = new OnnxRowScorer(Path.Combine(_dir, "gbdt", RunFolder.Model)))
        {
            Assert.Equal("features", scorer.InputName);
            Assert.Equal(described.Signature.Input.Table.FeatureCount, scorer.Width);
            Assert.Equal(2, scorer.Classes);
        }

        string store = Path.Combine(_dir, "store");
        var (code, published) = LeptonCli.Run("models", "publish", "--store", store, "--name", "trees", "--run", Path.Combine(_dir, "gbdt"));
        Assert.True(code == 0, published);
        await using var server = await ServerProcess.StartAsync(store);
        var (status, body) = await PostAsync(server, "/api/models/trees/predict",
            """{"instances":[{"income": 90, "age": 30, "city": "north"}, {"income": "10.5", "city": "east"}, {"income": 80, "age": null, "city": "nowhere"}]}""");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(["high", "low", "high"], body.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("label").GetString()));
        var (explainStatus, explained) = await PostAsync(server, "/api/models/trees/explain", """{"instances":[{"income": 97, "age": 33, "city": "east"}]}""");
        Assert.True(explainStatus == HttpStatusCode.OK, explained.ToString());
        Assert.Equal("income", explained.GetProperty("columns")[0].GetProperty("column").GetString());

        // The card counts the trees' thresholds and leaf values (node attributes, not initializers).
        using var card = await server.Client.GetAsync("/api/models/trees/versions/1/card");
        var cardJson = JsonDocument.Parse(await card.Content.ReadAsStringAsync()).RootElement;
        Assert.True(cardJson.GetProperty("parameters").GetInt64() > 100, cardJson.GetProperty("parameters").ToString());
        Assert.Equal("income", cardJson.GetProperty("columnImportance")[0].GetProperty("column").GetString());
    }

    [Fact]
    public void Table_ThreeClasses_GradientBoostedTrees_ScoreInLeptonsLabelOrder()
    {
        // Three bands of x; the first rows are the last label, so ML.NET's first-appearance order would differ from Lepton's.
        var random = new Random(5);
        var csv = new StringBuilder("x,noise,label\n");
        for (int i = 0; i < 450; i++)
        {
            double x = i < 20 ? 90 + random.NextDouble() * 10 : random.NextDouble() * 100;
            csv.Append(CultureInfo.InvariantCulture, $"{x:F2},{random.Next(10)},{(x > 66 ? "top" : x > 33 ? "middle" : "bottom")}\n");
        }

        string path = Path.Combine(_dir, "bands.csv");
        File.WriteAllText(path, csv.ToString());
        var prepared = DatasetPreparation.Prepare(path, Path.Combine(_dir, "work"));
        Assert.Equal(["bottom", "middle", "top"], prepared.Labels);

        var metrics = Train(prepared, GradientBoostedTrees.Name, epochs: 1, lr: 0.01, "bands");
        output.WriteLine($"test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples}, parity {metrics.Parity.MaxAbsDifference:E2} / {metrics.Parity.PredictionMismatches}");
        Assert.True(metrics.Test.Accuracy >= 0.9, $"test accuracy {metrics.Test.Accuracy}"); // scores out of Lepton's order would miss most rows
        Assert.Equal(0, metrics.Parity.PredictionMismatches);
        Assert.Equal("x", metrics.ColumnImportance![0].Column);
        using var scorer = new OnnxRowScorer(Path.Combine(_dir, "bands", RunFolder.Model));
        Assert.Equal(3, scorer.Classes);
    }

    [Fact]
    public void ImageFamily_OnText_IsAJobSpecErrorNamingTheTextFamilies()
    {
        var prepared = DatasetPreparation.Prepare(RowDatasets.WriteTexts(Path.Combine(_dir, "texts.csv"), 60), Path.Combine(_dir, "work"));

        var ex = Assert.Throws<JobSpecException>(() => Train(prepared, "cnn", 1, 0.01, "cnn"));

        Assert.Contains("architecture 'cnn' reads image data, this dataset is text: use text-bow, text-gru, text-lstm", ex.Message, StringComparison.Ordinal);
    }
}
