using System.IO.Compression;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Batch;
using Lepton.Tests;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;

namespace Lepton.Pipeline.Tests;

/// <summary>Batch scoring on the real in-process Durable Task engine, a folder store and ONNX Runtime.</summary>
public sealed class BatchScoringTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-batch-").FullName;
    private readonly ModelRegistry _registry;
    private readonly PipelineWorkspace _workspace;

    public BatchScoringTests()
    {
        _registry = new ModelRegistry(new FolderArtifactStore(Path.Combine(_dir, "store")));
        _workspace = new PipelineWorkspace(_registry.Store, Path.Combine(_dir, "work"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Images named {class}-{i}.png of the tiny linear model's classes, and one file that is not an image.</summary>
    private string Inputs(int count)
    {
        string folder = Path.Combine(_dir, "inputs");
        Directory.CreateDirectory(Path.Combine(folder, "more"));
        for (int i = 0; i < count; i++)
        {
            string sub = i % 2 == 0 ? folder : Path.Combine(folder, "more");
            File.WriteAllBytes(Path.Combine(sub, $"{i % 10}-{i:D3}.png"), ImageFiles.Encode(TinyModels.ImageFor(i % 10), 28, 28));
        }

        File.WriteAllBytes(Path.Combine(folder, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an input");
        return folder;
    }

    private async Task<(BatchSummary Summary, string[] Lines)> RunAsync(BatchRequest request)
    {
        using var runtime = new ModelRuntime(_registry, new InferenceOptions());
        await using var engine = await Lepton.Cli.InProcessEngine.StartAsync(tasks => tasks.AddBatchScoring(_registry, _workspace, runtime));
        var (id, _) = await BatchEngine.StartAsync(engine.Client, request, _workspace);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var state = await engine.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.True(state.RuntimeStatus == OrchestrationRuntimeStatus.Completed, state.FailureDetails?.ErrorMessage);
        var summary = state.ReadOutputAs<BatchSummary>()!;
        string text = (await _registry.Store.ReadAsync(summary.Results))!.Data.ToString();
        return (summary, text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Score_Folder_EveryInputOnce_BadInputRecorded_ProductionVersionUsed()
    {
        byte[] model = TinyModels.Linear();
        await _registry.PublishAsync("digits", new MemoryStream(model), ModelInspector.Describe(model));
        await _registry.PublishAsync("digits", new MemoryStream(TinyModels.Linear(shift: 1)), ModelInspector.Describe(TinyModels.Linear(shift: 1)));
        await _registry.SetAliasAsync("digits", ModelRegistry.DefaultAlias, 1); // production is 1, the latest 2
        string folder = Inputs(23);

        var (summary, lines) = await RunAsync(new BatchRequest("digits", folder, ChunkSize: 5, MaxConcurrentChunks: 2));

        Assert.Equal((24, 23, 1), (summary.Inputs, summary.Scored, summary.Failures.Count));
        Assert.Equal(1, summary.Version);
        Assert.Equal("broken.png", Assert.Single(summary.Failures).Input);
        var parsed = lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(24, parsed.Select(l => l.GetProperty("input").GetString()).Distinct().Count());
        foreach (var line in parsed.Where(l => !l.TryGetProperty("error", out _)))
        {
            int expected = int.Parse(Path.GetFileName(line.GetProperty("input").GetString()!)[..1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(TinyModels.Labels[expected], line.GetProperty("label").GetString());
            Assert.Equal(3, line.GetProperty("top").GetArrayLength());
        }

        Assert.Equal(3, summary.PerLabel["zero"]);
        Assert.Contains("more/1-001.png", parsed.Select(l => l.GetProperty("input").GetString()));
    }

    [Fact]
    public async Task Score_AgainAfterAnInterruption_ScoresOnlyTheChunksThatHadNoResults()
    {
        byte[] model = TinyModels.Linear();
        await _registry.PublishAsync("digits", new MemoryStream(model), ModelInspector.Describe(model));
        string archive = Path.Combine(_dir, "inputs.zip");
        ZipFile.CreateFromDirectory(Inputs(12), archive);
        var request = new BatchRequest("digits", archive, ChunkSize: 4, MaxConcurrentChunks: 1);
        var (first, _) = await RunAsync(request);
        // As if the process died after chunk 0 was scored: the later chunks' results and the merge are gone.
        for (int i = 1; i < 4; i++)
        {
            await _registry.Store.DeleteAsync(BatchPaths.ChunkResults(first.JobId, i));
        }

        await _registry.Store.DeleteAsync(BatchPaths.Results(first.JobId));
        var kept = await _registry.Store.GetInfoAsync(BatchPaths.ChunkResults(first.JobId, 0));

        var (again, lines) = await RunAsync(request);

        Assert.Equal(first.JobId, again.JobId);
        Assert.Equal(kept!.ETag, (await _registry.Store.GetInfoAsync(BatchPaths.ChunkResults(first.JobId, 0)))!.ETag);
        Assert.Equal(13, lines.Length);
        Assert.Equal(13, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("input").GetString()).Distinct().Count());
        Assert.Equal((first.Scored, first.Failures.Count), (again.Scored, again.Failures.Count));
    }

    [Theory]
    [InlineData("batch/digits/photos.zip", true)]
    [InlineData("batch/reviews/rows.csv", true)]
    [InlineData("batch/reviews/rows.jsonl", true)]
    [InlineData("batch/digits/notes.txt", false)] // not an input
    [InlineData("batch/digits/sub/photos.zip", false)] // nested
    [InlineData("batch/Bad Name/photos.zip", false)]
    [InlineData("batch/digits-batch-0123456789abcdef01234567/results.jsonl", false)] // a job's own results
    [InlineData("datasets/digits/photos.zip", false)]
    public void ParseUpload_TakesInputsOfAModel_NotAJobsOwnFiles(string path, bool isUpload) =>
        Assert.Equal(isUpload, BatchPaths.ParseUpload(path) is not null);

    [Fact]
    public async Task Start_BadRequest_IsRefusedNamingEachProblem()
    {
        await using var engine = await Lepton.Cli.InProcessEngine.StartAsync(tasks => tasks.AddBatchScoring(_registry, _workspace, new ModelRuntime(_registry, new InferenceOptions())));

        var refused = await Assert.ThrowsAsync<InvalidPipelineRequestException>(() => BatchEngine.StartAsync(engine.Client, new BatchRequest("Bad Name", "x", ChunkSize: 0), _workspace));

        Assert.Contains("not a valid model name", refused.Message, StringComparison.Ordinal);
        Assert.Contains("chunk size", refused.Message, StringComparison.Ordinal);
    }
}
