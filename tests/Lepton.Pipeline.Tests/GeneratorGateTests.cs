using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Activities;
using Lepton.Tests;

namespace Lepton.Pipeline.Tests;

/// <summary>The quality gate for generators: Fréchet distance (lower is better) against a maximum and production.</summary>
public sealed class GeneratorGateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-gate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(20.0, 50.0, null, null, true)]
    [InlineData(60.0, 50.0, null, null, false)]
    [InlineData(20.0, null, 1, 25.0, true)]
    [InlineData(30.0, 50.0, 1, 25.0, false)]
    [InlineData(double.NaN, null, null, null, false)]
    public void Decide_LowerIsBetter(double distance, double? maximum, int? champion, double? championDistance, bool promoted)
    {
        var decision = GeneratorGate.Decide(distance, maximum, champion, championDistance);

        Assert.Equal(promoted, decision.Promoted);
        Assert.Contains(double.IsNaN(distance) ? "not a number" : "Fréchet distance", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_Generator_ComparesTheDistanceWithProduction()
    {
        var registry = new ModelRegistry(new FolderArtifactStore(_dir));
        byte[] generator = TinyModels.Generator();
        async Task<int> PublishAsync(double distance) => (await registry.PublishAsync("faces", new MemoryStream(generator), ModelInspector.Describe(generator) with
        {
            Metrics = new Dictionary<string, double> { [ManifestMetrics.FrechetDistance] = distance },
        })).Version;
        var promote = new PromoteActivity(registry);

        int first = await PublishAsync(30);
        var one = await promote.ExecuteAsync(new PromotionRequest("faces", first, 0, 0, FrechetDistance: 30, MaximumFrechetDistance: 100));
        int worse = await PublishAsync(40);
        var two = await promote.ExecuteAsync(new PromotionRequest("faces", worse, 0, 0, FrechetDistance: 40, MaximumFrechetDistance: 100));
        int better = await PublishAsync(10);
        var three = await promote.ExecuteAsync(new PromotionRequest("faces", better, 0, 0, FrechetDistance: 10, MaximumFrechetDistance: 100));

        Assert.True(one.Promoted, one.Reason);
        Assert.False(two.Promoted);
        Assert.Contains("worse than production (version 1: 30.00)", two.Reason, StringComparison.Ordinal);
        Assert.True(three.Promoted, three.Reason);
        Assert.Equal(better, (await registry.GetAliasesAsync("faces")).Aliases[ModelRegistry.DefaultAlias]);
        Assert.Equal(ModelKind.Generator, (await registry.GetManifestAsync("faces", better)).Kind);
    }

    [Fact]
    public async Task Promote_VersionThatWouldNotServe_IsNotPromoted_AndProductionStays()
    {
        var registry = new ModelRegistry(new FolderArtifactStore(_dir));
        byte[] good = TinyModels.Linear();
        var description = ModelInspector.Describe(good) with { Metrics = new Dictionary<string, double> { [ManifestMetrics.Accuracy] = 0.9 } };
        int first = (await registry.PublishAsync("digits", new MemoryStream(good), description)).Version;
        var promote = new PromoteActivity(registry);
        Assert.True((await promote.ExecuteAsync(new PromotionRequest("digits", first, 0.9, 0.5))).Promoted);
        int broken = (await registry.PublishAsync("digits", new MemoryStream(TinyModels.FailsAtRun()), description)).Version;

        var decision = await promote.ExecuteAsync(new PromotionRequest("digits", broken, 0.95, 0.5));

        Assert.False(decision.Promoted);
        Assert.Contains($"version {broken} cannot be promoted", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(first, (await registry.GetAliasesAsync("digits")).Aliases[ModelRegistry.DefaultAlias]);
    }
}
