using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Runtime;

public sealed class FailedLoadCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-failed-").FullName;
    private readonly ModelRegistry _registry;

    public FailedLoadCacheTests() => _registry = new ModelRegistry(new FolderArtifactStore(_root));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task FailedLoad_IsRememberedForTheSetting_ThenTriedAgain()
    {
        byte[] bytes = TinyModels.Linear();
        await _registry.PublishAsync("tiny", new MemoryStream(bytes), ModelInspector.Describe(bytes));
        string file = Path.Combine(_root, ModelRegistry.ModelPath("tiny", 1));
        await File.WriteAllBytesAsync(file, TinyModels.Linear(shift: 2)); // tampered
        var clock = new Clock();
        using var runtime = new ModelRuntime(_registry, new InferenceOptions { FailedLoadCacheDuration = TimeSpan.FromSeconds(10) }, clock);

        await Assert.ThrowsAsync<ModelIntegrityException>(() => runtime.GetAsync("tiny", 1));
        await File.WriteAllBytesAsync(file, bytes); // repaired
        await Assert.ThrowsAsync<ModelIntegrityException>(() => runtime.GetAsync("tiny", 1)); // not reloaded yet
        Assert.NotNull(runtime.RecentFailure("tiny", 1));
        clock.Advance(TimeSpan.FromSeconds(11));

        Assert.NotNull(await runtime.GetAsync("tiny", 1));
        Assert.Null(runtime.RecentFailure("tiny", 1));
    }

    [Fact]
    public async Task NonOnnxFileWithMatchingHash_IsAnIntegrityFailure()
    {
        byte[] bytes = TinyModels.Linear();
        var description = ModelInspector.Describe(bytes);
        await _registry.PublishAsync("junk", new MemoryStream("not onnx at all"u8.ToArray()), description);
        using var runtime = new ModelRuntime(_registry, new InferenceOptions());

        var failure = await Assert.ThrowsAsync<ModelIntegrityException>(() => runtime.GetAsync("junk", 1));

        Assert.Contains("ONNX Runtime cannot load", failure.Message, StringComparison.Ordinal);
    }

    private sealed class Clock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
