using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Runtime;

public sealed class ModelRuntimeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-runtime-").FullName;
    private readonly ModelRegistry _registry;

    public ModelRuntimeTests() => _registry = new ModelRegistry(new FolderArtifactStore(_root));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<ModelManifest> PublishAsync(string name, int shift)
    {
        byte[] bytes = TinyModels.Linear(shift);
        return await _registry.PublishAsync(name, new MemoryStream(bytes), ModelInspector.Describe(bytes));
    }

    [Fact]
    public async Task Predict_ServesTheModelsAnswer()
    {
        await PublishAsync("tiny", 0);
        using var runtime = new ModelRuntime(_registry, new InferenceOptions());

        var model = await runtime.GetAsync("tiny", await runtime.ResolveAsync("tiny", null, null));
        float[] scores = await model.PredictAsync(TinyModels.ImageFor(3), 1);

        Assert.Equal(10, scores.Length);
        Assert.Equal(3, Array.IndexOf(scores, scores.Max()));
        Assert.Equal(TinyModels.Labels, model.Manifest.Labels);
    }

    [Fact]
    public async Task Batching_ConcurrentRequests_GetTheirOwnAnswers()
    {
        await PublishAsync("tiny", 0);
        using var runtime = new ModelRuntime(_registry, new InferenceOptions { Batching = true, MaxBatchSize = 16 });
        var model = await runtime.GetAsync("tiny", 1);

        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            await Task.Yield();
            float[] scores = await model.PredictAsync(TinyModels.ImageFor(i % 10), 1);
            return (Expected: i % 10, Actual: Array.IndexOf(scores, scores.Max()), Length: scores.Length);
        }));

        Assert.All(results, r =>
        {
            Assert.Equal(10, r.Length);
            Assert.Equal(r.Expected, r.Actual);
        });
    }

    [Fact]
    public async Task TamperedModelFile_IsRefusedWithTheReason()
    {
        await PublishAsync("tiny", 0);
        await _registry.Store.WriteAsync(ModelRegistry.ModelPath("tiny", 1), new MemoryStream(TinyModels.Linear(shift: 5)));
        using var runtime = new ModelRuntime(_registry, new InferenceOptions());

        var ex = await Assert.ThrowsAsync<ModelIntegrityException>(() => runtime.GetAsync("tiny", 1));

        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, runtime.LoadedCount);
    }

    [Fact]
    public async Task BeyondCapacity_LeastRecentlyUsedIsUnloaded()
    {
        await PublishAsync("tiny", 0);
        await PublishAsync("tiny", 1);
        await PublishAsync("tiny", 2);
        using var runtime = new ModelRuntime(_registry, new InferenceOptions { MaxLoadedModels = 2 });

        var first = await runtime.GetAsync("tiny", 1);
        await runtime.GetAsync("tiny", 2);
        await runtime.GetAsync("tiny", 1);
        await runtime.GetAsync("tiny", 3);

        Assert.Equal(2, runtime.LoadedCount);
        Assert.Same(first, await runtime.GetAsync("tiny", 1)); // version 2 went, version 1 stayed
    }

    [Fact]
    public async Task UseAsync_KeepsAModelAliveWhileItIsEvicted()
    {
        await PublishAsync("tiny", 0);
        await PublishAsync("tiny", 1);
        using var runtime = new ModelRuntime(_registry, new InferenceOptions { MaxLoadedModels = 1 });

        float[] scores = await runtime.UseAsync("tiny", 1, async model =>
        {
            await runtime.GetAsync("tiny", 2); // evicts version 1 while it is in use
            return await model.PredictAsync(TinyModels.ImageFor(4), 1);
        });

        Assert.Equal(4, Array.IndexOf(scores, scores.Max()));
    }

    [Fact]
    public async Task AliasPromotion_IsNoticedOnceTheCacheExpires()
    {
        await PublishAsync("tiny", 0);
        await PublishAsync("tiny", 1);
        await _registry.SetAliasAsync("tiny", "production", 1);
        var clock = new ManualClock();
        using var runtime = new ModelRuntime(_registry, new InferenceOptions { AliasCacheDuration = TimeSpan.FromSeconds(2) }, clock);

        Assert.Equal(1, await runtime.ResolveAsync("tiny", null, null));
        await _registry.SetAliasAsync("tiny", "production", 2);
        Assert.Equal(1, await runtime.ResolveAsync("tiny", null, null)); // still trusted
        clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(2, await runtime.ResolveAsync("tiny", null, null));
    }

    [Fact]
    public async Task UnknownModel_IsNotFound()
    {
        using var runtime = new ModelRuntime(_registry, new InferenceOptions());

        await Assert.ThrowsAsync<ModelNotFoundException>(() => runtime.ResolveAsync("nothing", null, null));
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
