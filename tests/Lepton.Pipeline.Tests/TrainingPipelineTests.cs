using System.IO.Compression;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Compute;
using Lepton.Pipeline.Orchestration;
using Lepton.Tests;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using SkiaSharp;

namespace Lepton.Pipeline.Tests;

/// <summary>The real orchestrator and activities on the in-process Durable Task engine, training with the real trainer process.</summary>
public sealed class PipelineHost : IAsyncLifetime
{
    public string Work { get; } = Directory.CreateTempSubdirectory("lepton-pipeline-").FullName;

    public ModelRegistry Registry { get; private set; } = null!;

    public DurableTaskTestHost Host { get; private set; } = null!;

    public PipelineWorkspace Workspace { get; private set; } = null!;

    public string Dataset { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Registry = new ModelRegistry(new FolderArtifactStore(Path.Combine(Work, "store")));
        var compute = new ProcessComputeTarget(TrainerCommand.Locate(), Path.Combine(Work, "compute"));
        Dataset = TestDatasets.WriteSlice(Path.Combine(Work, "upload"), train: 1200, test: 200);
        Workspace = new PipelineWorkspace(Registry.Store, Path.Combine(Work, "compute"));
        Host = await Lepton.Cli.InProcessEngine.StartAsync(tasks => tasks.AddTrainingPipeline(Registry, compute, Workspace));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }
}

public sealed class TrainingPipelineTests(PipelineHost host) : IClassFixture<PipelineHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private DurableTaskClient Client => host.Host.Client;

    private PipelineRequest Request(string model, string? dataset = null) => new()
    {
        ModelName = model,
        Dataset = dataset ?? host.Dataset,
        Training = new TrainingJobSpec { Architecture = "mlp", Epochs = 2 },
        PollInterval = TimeSpan.FromMilliseconds(200),
    };

    private async Task<OrchestrationMetadata> RunAsync(PipelineRequest request)
    {
        var (id, started) = await PipelineEngine.StartAsync(Client, request, host.Workspace);
        Assert.True(started);
        using var timeout = new CancellationTokenSource(Patience);
        return await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
    }

    [Fact]
    public async Task HappyPath_PublishesPromotesAndServes()
    {
        var run = await RunAsync(Request("happy") with { MinimumAccuracy = 0.5 });

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.Published, result.Outcome);
        Assert.Equal(1, result.Version);
        Assert.True(result.Promoted, result.Reason);
        Assert.True(result.Accuracy > 0.5);
        Assert.Equal(1, (await host.Registry.GetAliasesAsync("happy")).Aliases["production"]);
        var manifest = await host.Registry.GetManifestAsync("happy", 1);
        Assert.Equal(result.DatasetVersion, manifest.DatasetVersion);
        Assert.Equal(result.RunId, manifest.RunId);
        Assert.Equal(result.Accuracy, manifest.Metrics["accuracy"]);
        var card = await host.Registry.GetCardAsync("happy", 1); // made by the publish activity, with the version
        Assert.NotNull(card);
        Assert.Equal(result.DatasetVersion, card.Dataset.Version);
        Assert.Equal(["curves.png", "confusion.png", "mistakes.png"], card.Images);
        Assert.Empty(card.Missing);
        Assert.Equal(result.Accuracy, card.Metrics!.Accuracy);

        using var runtime = new ModelRuntime(host.Registry, new InferenceOptions());
        var model = await runtime.GetAsync("happy", await runtime.ResolveAsync("happy", null, null));
        var image = TestDatasets.FashionMnist.Test.Take(1);
        float[] scores = await model.PredictAsync(image.Images.ToScaledFloats(), 1);
        Assert.Equal(10, scores.Length);
        Assert.Equal(MnistDataset.FashionMnistLabels, model.Manifest.Labels);
    }

    [Fact]
    public async Task Gru_IsTrainedPublishedAndServedLikeEveryClassifier()
    {
        var run = await RunAsync(Request("rows") with { Training = new TrainingJobSpec { Architecture = "gru", Epochs = 1, TrainLimit = 600 } });

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.Published, result.Outcome);
        var manifest = await host.Registry.GetManifestAsync("rows", result.Version!.Value);
        Assert.Equal("gru", manifest.Architecture);
        Assert.Equal(ModelKind.Classifier, manifest.Kind);

        using var runtime = new ModelRuntime(host.Registry, new InferenceOptions());
        var model = await runtime.GetAsync("rows", result.Version.Value);
        float[] scores = await model.PredictAsync(TestDatasets.FashionMnist.Test.Take(3).Images.ToScaledFloats(), 3);
        Assert.Equal(30, scores.Length);
    }

    [Fact]
    public async Task CsvUploads_WithoutArch_TrainTheFamilyForTheirData_PublishWithCards_AndRunOnce()
    {
        string texts = RowDatasets.WriteTexts(Path.Combine(host.Work, "row-uploads", "reviews.csv"), 240);
        string tableFolder = Path.Combine(host.Work, "row-uploads", "table");
        string all = RowDatasets.WriteTable(Path.Combine(tableFolder, "all.csv"), 300);
        // A folder with train.* and test.*: the given split is kept.
        var lines = File.ReadAllLines(all);
        File.WriteAllLines(Path.Combine(tableFolder, "train.csv"), lines.Take(251));
        File.WriteAllLines(Path.Combine(tableFolder, "test.tsv"), lines.Skip(251).Select(l => l.Replace(',', '\t')).Prepend(lines[0].Replace(',', '\t')));
        File.Delete(all);

        foreach (var (name, data, family, epochs) in new[] { ("texts", texts, "text-bow", 6), ("table", tableFolder, "tabular-mlp", 15) })
        {
            var request = Request(name, data) with { Training = new TrainingJobSpec { Epochs = epochs, LearningRate = 0.01, BatchSize = 16 } };
            var run = await RunAsync(request);
            Assert.True(run.RuntimeStatus == OrchestrationRuntimeStatus.Completed, run.FailureDetails?.ErrorMessage);
            var result = run.ReadOutputAs<PipelineResult>()!;
            Assert.Equal(PipelineOutcome.Published, result.Outcome);
            Assert.True(result.Accuracy >= 0.9, $"{name}: accuracy {result.Accuracy}");
            var manifest = await host.Registry.GetManifestAsync(name, result.Version!.Value);
            Assert.Equal(family, manifest.Architecture);
            var card = await host.Registry.GetCardAsync(name, result.Version.Value);
            Assert.NotNull(card);
            Assert.Equal(result.Accuracy, card.Metrics!.Accuracy);
            Assert.NotNull(card.Mistakes);

            // The same rows again, laid out anew (another path: another instance) with the same settings: the same run, nothing trained.
            string copy = Path.Combine(host.Work, "row-uploads", "copy-of-" + Path.GetFileName(data));
            if (File.Exists(data))
            {
                File.Copy(data, copy);
            }
            else
            {
                Directory.CreateDirectory(copy);
                foreach (string file in Directory.GetFiles(data))
                {
                    File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
                }
            }

            var again = (await RunAsync(request with { Dataset = copy })).ReadOutputAs<PipelineResult>()!;
            Assert.Equal(PipelineOutcome.AlreadyPublished, again.Outcome);
            Assert.Equal(result.RunId, again.RunId);
        }

        Assert.Equal(50, (await host.Registry.GetCardAsync("table", 1))!.Dataset.TestClassCounts!.Values.Sum()); // the test file's rows
        Assert.Equal(InputKind.Table, (await host.Registry.GetManifestAsync("table", 1)).Signature.Input.Kind);
    }

    [Fact]
    public async Task CsvUpload_WithLeptonJson_NamingTheLabelColumnAndTask_TrainsOnThatColumn()
    {
        // The class is in "target", not "label": lepton.json beside the upload says so (and the task).
        string path = RowDatasets.WriteTable(Path.Combine(host.Work, "row-uploads", "target", "credit.csv"), 240);
        var lines = File.ReadAllLines(path);
        File.WriteAllLines(path, lines.Skip(1).Prepend(lines[0].Replace("label", "target", StringComparison.Ordinal)));
        var settings = UploadSettings.Parse("""{"labelColumn": "target", "task": "table", "epochs": 15, "learningRate": 0.01, "batchSize": 16}""", "lepton.json");

        var run = await RunAsync(settings.ApplyTo(Request("target-column", path) with { Training = new TrainingJobSpec() }));

        Assert.True(run.RuntimeStatus == OrchestrationRuntimeStatus.Completed, run.FailureDetails?.ErrorMessage);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.Published, result.Outcome);
        var manifest = await host.Registry.GetManifestAsync("target-column", result.Version!.Value);
        Assert.Equal("tabular-mlp", manifest.Architecture);
        Assert.Equal(["income", "age", "city"], manifest.Signature.Input.Table!.Columns.Select(c => c.Name));
        Assert.Equal(["high", "low"], manifest.Signature.Output.Labels.Order(StringComparer.Ordinal));
        Assert.True(result.Accuracy >= 0.85, $"accuracy {result.Accuracy}");
    }

    [Fact]
    public async Task CsvUpload_WithAnImageArchitecture_FailsNamingTheFamiliesThatReadIt()
    {
        string texts = RowDatasets.WriteTexts(Path.Combine(host.Work, "row-uploads", "wrong.csv"), 60);

        var run = await RunAsync(Request("wrong-family", texts) with { Training = new TrainingJobSpec { Architecture = "cnn", Epochs = 1 } });

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("architecture 'cnn' reads image data, this dataset is text", run.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(await host.Registry.ListVersionsAsync("wrong-family"));
    }

    [Fact]
    public async Task RaggedCsv_FailsWithTheFileAndLine_AndPublishesNothing()
    {
        string path = Path.Combine(host.Work, "row-uploads", "ragged.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x,label\n1,a\n2,b\n3,a,extra\n");

        var run = await RunAsync(Request("ragged", path));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("ragged.csv: line 4: 3 fields, the header has 2", run.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(await host.Registry.ListVersionsAsync("ragged"));
    }

    [Fact]
    public async Task Transfer_OnColorFolders_IsTrainedPublishedAndServedFromAJpegAndATinyPng()
    {
        // Class folders red/, green/, blue/: a dozen squares each on light gray, 30..45 pixels a side.
        (string Name, SKColor Color)[] classes = [("blue", new SKColor(40, 40, 230)), ("green", new SKColor(20, 150, 20)), ("red", new SKColor(230, 30, 30))];
        string upload = Path.Combine(host.Work, "colors-upload");
        var random = new Random(5);
        byte[] Square(SKColor color, int w, int h, SKEncodedImageFormat format = SKEncodedImageFormat.Png) => ImageFiles.EncodeColor(
            (x, y) => x > w / 5 && x < 4 * w / 5 && y > h / 5 && y < 4 * h / 5 ? color : new SKColor(225, 225, 225), w, h, format);
        foreach (var (name, color) in classes)
        {
            string folder = Directory.CreateDirectory(Path.Combine(upload, name)).FullName;
            for (int i = 0; i < 12; i++)
            {
                File.WriteAllBytes(Path.Combine(folder, $"{i:D2}.png"), Square(color, random.Next(30, 46), random.Next(30, 46)));
            }
        }

        var run = await RunAsync(Request("transfer-colors", upload) with { Training = new TrainingJobSpec { Architecture = "transfer", Epochs = 10, BatchSize = 8, LearningRate = 0.01 } });

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.True(result.Outcome == PipelineOutcome.Published, result.Reason);
        var manifest = await host.Registry.GetManifestAsync("transfer-colors", result.Version!.Value);
        Assert.Equal("transfer", manifest.Architecture);
        using var runtime = new ModelRuntime(host.Registry, new InferenceOptions());
        var model = await runtime.GetAsync("transfer-colors", result.Version.Value);
        Assert.Equal(3, model.ImageInput.Shape.Channels);
        foreach (var (picture, expected) in new[] { (Square(classes[2].Color, 500, 300, SKEncodedImageFormat.Jpeg), 2), (Square(classes[0].Color, 16, 16), 0) })
        {
            float[] pixels = ImageDecoder.Decode(picture, model.ImageInput, ImageInversion.Never, ImageDecoder.DefaultMaxPixels);
            float[] scores = await model.PredictAsync(pixels, 1);
            Assert.Equal(expected, Array.IndexOf(scores, scores.Max()));
        }
    }

    [Fact]
    public async Task SameDataAndSettings_UnderANewName_TrainsAndPublishesNothing()
    {
        var first = (await RunAsync(Request("again") with { MinimumAccuracy = 0.5 })).ReadOutputAs<PipelineResult>()!;
        string copy = Path.Combine(host.Work, "again-copy");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(host.Dataset))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        // A new upload of the same bytes (another path: another instance) with the same training settings.
        var second = await RunAsync(Request("again", copy) with { MinimumAccuracy = 0.5 });

        Assert.Equal(OrchestrationRuntimeStatus.Completed, second.RuntimeStatus);
        var result = second.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.AlreadyPublished, result.Outcome);
        Assert.Equal((first.Version, first.RunId, 0), (result.Version, result.RunId, result.TrainingAttempts));
        Assert.Equal([1], await host.Registry.ListVersionsAsync("again"));
        var outcome = await RunOutcome.ReadAsync(host.Registry.Store, second.InstanceId);
        Assert.Equal((PipelineOutcome.AlreadyPublished, 1), (outcome!.Outcome, outcome.Version));
    }

    [Fact]
    public async Task UnknownArchitecture_IsRefusedBeforeAnythingRuns()
    {
        var request = Request("nothing") with { Training = new TrainingJobSpec { Architecture = "resnet; rm -rf /" } };

        var ex = await Assert.ThrowsAsync<InvalidPipelineRequestException>(() => PipelineEngine.StartAsync(Client, request, host.Workspace));

        Assert.Contains("unknown architecture 'resnet; rm -rf /'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing", await host.Registry.ListModelsAsync());
        Assert.Empty(Directory.Exists(Path.Combine(host.Work, "compute", "runs")) ? Directory.GetDirectories(Path.Combine(host.Work, "compute", "runs"), "nothing-*") : []);
    }

    [Fact]
    public async Task Generator_IsTrainedPublishedAndGatedOnFrechetDistance()
    {
        var request = Request("gan") with
        {
            Training = new TrainingJobSpec { Architecture = "dcgan", Epochs = 1, TrainLimit = 512, TestLimit = 200, LearningRate = 0.0002, LatentSize = 16 },
            MaximumFrechetDistance = 1e9,
        };

        var run = await RunAsync(request);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.Published, result.Outcome);
        Assert.Null(result.Accuracy);
        Assert.True(result.FrechetDistance > 0);
        Assert.True(result.Promoted, result.Reason);
        var manifest = await host.Registry.GetManifestAsync("gan", result.Version!.Value);
        Assert.Equal((ModelKind.Generator, 16), (manifest.Kind, manifest.LatentSize));
        Assert.Equal(16, manifest.Signature.Input.LatentSize);
        Assert.Equal(result.FrechetDistance, manifest.Metrics[ManifestMetrics.FrechetDistance]);
    }

    [Fact]
    public async Task TrainerCrash_IsResubmittedAndResumesFromTheCheckpoint()
    {
        var run = await RunAsync(Request("crashy") with { CrashFirstAttemptAfterEpoch = 1 });

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(2, result.TrainingAttempts);
        var history = LeptonJson.ReadFile<TrainingHistory>(Path.Combine(host.Work, "compute", "runs", result.RunId, "history.json"));
        Assert.Equal(1, history.ResumedFromEpoch);
        Assert.Equal(2, history.Epochs.Count);
        Assert.Contains("injected crash", File.ReadAllText(RunFolder.Under(Path.Combine(host.Work, "compute"), result.RunId).TrainerLogPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QualityGate_PublishesButDoesNotPromoteAWeakModel()
    {
        var first = (await RunAsync(Request("gated") with { MinimumAccuracy = 0.5 })).ReadOutputAs<PipelineResult>()!;
        var second = (await RunAsync(Request("gated") with { Training = new TrainingJobSpec { Architecture = "mlp", Epochs = 2, Seed = 7 }, MinimumAccuracy = 0.999 })).ReadOutputAs<PipelineResult>()!;

        Assert.True(first.Promoted);
        Assert.Equal(2, second.Version);
        Assert.False(second.Promoted);
        Assert.Contains("below the minimum", second.Reason, StringComparison.Ordinal);
        Assert.Equal(1, (await host.Registry.GetAliasesAsync("gated")).Aliases["production"]);
        Assert.Equal([1, 2], await host.Registry.ListVersionsAsync("gated"));
    }

    [Fact]
    public async Task Cancel_StopsTheJobAndPublishesNothing()
    {
        var request = Request("canceled") with { Training = new TrainingJobSpec { Architecture = "cnn", Epochs = 40 } };
        var (id, _) = await PipelineEngine.StartAsync(Client, request, host.Workspace);
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var state = await Client.GetInstanceAsync(id, getInputsAndOutputs: true, timeout.Token);
            if (state?.ReadCustomStatusAs<PipelineProgress>() is { Stage: PipelineStage.Training, Epoch: >= 1 })
            {
                break;
            }

            await Task.Delay(100, timeout.Token);
        }

        await Client.RaiseEventAsync(id, TrainingPipeline.CancelEvent, "asked by the test", timeout.Token);
        var run = await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.Canceled, result.Outcome);
        Assert.Empty(await host.Registry.ListVersionsAsync("canceled"));
        var status = LeptonJson.ReadFile<TrainingStatus>(Path.Combine(host.Work, "compute", "runs", result.RunId, "status.json"));
        Assert.NotEqual(JobState.Succeeded, status.State);
        Assert.True(status.Epoch < 40);
    }

    [Fact]
    public async Task CorruptDataset_FailsWithTheReason_AndPublishesNothing()
    {
        string bad = TestDatasets.WriteSlice(Path.Combine(host.Work, "bad-upload"), train: 100, test: 20);
        IdxFile.Write(Path.Combine(bad, MnistDataset.TestLabels + ".gz"), [19], new byte[19]);

        var run = await RunAsync(Request("corrupt", bad));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("dataset rejected", run.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("label/image count mismatch", run.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(await host.Registry.ListVersionsAsync("corrupt"));
    }

    [Fact]
    public async Task SameUploadTwice_IsOneRun()
    {
        string archive = Path.Combine(host.Work, "upload.zip");
        if (!File.Exists(archive))
        {
            ZipFile.CreateFromDirectory(host.Dataset, archive);
        }

        var request = Request("twice", archive);
        var first = await PipelineEngine.StartAsync(Client, request, host.Workspace);
        var second = await PipelineEngine.StartAsync(Client, request, host.Workspace);
        using var timeout = new CancellationTokenSource(Patience);
        var run = await Client.WaitForInstanceCompletionAsync(first.InstanceId, getInputsAndOutputs: true, timeout.Token);
        var third = await PipelineEngine.StartAsync(Client, request, host.Workspace);

        Assert.True(first.Started);
        Assert.False(second.Started);
        Assert.False(third.Started);
        Assert.Equal(first.InstanceId, second.InstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Equal([1], await host.Registry.ListVersionsAsync("twice"));
    }

    [Fact]
    public async Task StoredUpload_IsFetchedPrepared_AndSharedThroughTheStore()
    {
        string archive = Path.Combine(host.Work, "stored.zip");
        ZipFile.CreateFromDirectory(host.Dataset, archive);
        await using (var upload = File.OpenRead(archive))
        {
            await host.Registry.Store.WriteAsync("datasets/stored/upload.zip", upload);
        }

        var run = await RunAsync(Request("stored", "datasets/stored/upload.zip"));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        string version = run.ReadOutputAs<PipelineResult>()!.DatasetVersion;
        var prepared = await host.Registry.Store.ListAsync($"prepared/{version}/").ToListAsync();
        Assert.Contains($"prepared/{version}/dataset.json", prepared);
        Assert.Contains($"prepared/{version}/{MnistDataset.TrainImages}.gz", prepared);
    }

    [Fact]
    public async Task AnotherMachine_FetchesThePreparedDatasetAndTheModelFromTheStore()
    {
        var here = new PipelineWorkspace(host.Registry.Store, Path.Combine(host.Work, "machine-a"));
        var there = new PipelineWorkspace(host.Registry.Store, Path.Combine(host.Work, "machine-b"));
        var prepared = DatasetPreparation.Prepare(host.Dataset, here.WorkFolder);
        await here.PublishPreparedAsync(prepared);
        await host.Registry.Store.WriteAsync("runs/remote-run/model.onnx", new MemoryStream([1, 2, 3]));
        var remote = prepared with { Folder = Path.Combine(host.Work, "nowhere") };

        string folder = await there.LocalPreparedAsync(remote);
        string model = await there.LocalModelAsync(new TrainingJobHandle("azureml", "remote-run-a1", "https://example.invalid/runs/remote-run/", 1, "runs/remote-run"));

        Assert.StartsWith(there.WorkFolder, folder, StringComparison.Ordinal);
        Assert.Equal(prepared.TestExamples, MnistDataset.Load(folder).Test.Count);
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(model));
    }

    [Fact]
    public void DatasetVersion_IsTheSameForAFolderAndItsArchive()
    {
        string archive = Path.Combine(host.Work, "same.zip");
        ZipFile.CreateFromDirectory(host.Dataset, archive);

        Assert.Equal(DatasetPreparation.ComputeVersion(host.Dataset), DatasetPreparation.ComputeVersion(archive));
    }
}
