using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Runtime;

/// <summary>Counts the process's live sessions, so it runs alone (no other test opens one meanwhile).</summary>
[CollectionDefinition(nameof(LoadedModelSessionTests), DisableParallelization = true)]
public sealed class LoadedModelSessionCollection;

[Collection(nameof(LoadedModelSessionTests))]
public sealed class LoadedModelSessionTests
{
    private static ModelManifest Manifest(byte[] bytes, ModelSignature? signature = null)
    {
        var description = ModelInspector.Describe(bytes);
        return new ModelManifest
        {
            Name = "tiny", Version = 1, CreatedAt = DateTimeOffset.UnixEpoch, Inputs = description.Inputs, Outputs = description.Outputs,
            Sha256 = string.Empty, SizeBytes = bytes.Length, Signature = signature ?? description.Signature,
        };
    }

    [Fact]
    public void FailedWarmUp_LeavesNoSession()
    {
        byte[] bytes = TinyModels.FailsAtRun();
        int before = LoadedModel.LiveSessions;

        Assert.ThrowsAny<Exception>(() => new LoadedModel(Manifest(bytes), bytes, new InferenceOptions { Batching = false }));

        Assert.Equal(before, LoadedModel.LiveSessions);
    }

    [Fact]
    public void SignatureThatDoesNotFitTheModel_IsRefusedAndLeavesNoSession()
    {
        byte[] bytes = TinyModels.Linear();
        var wrong = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(3, 28, 28)), TinyModels.Labels);
        int before = LoadedModel.LiveSessions;

        var refused = Assert.Throws<InvalidDataException>(() => new LoadedModel(Manifest(bytes, wrong), bytes, new InferenceOptions { Batching = false }));

        Assert.Contains("[N,3,28,28]", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, LoadedModel.LiveSessions);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_ReleasesTheSession_WithOrWithoutBatching(bool batching)
    {
        byte[] bytes = TinyModels.Linear();
        int before = LoadedModel.LiveSessions;
        var model = new LoadedModel(Manifest(bytes), bytes, new InferenceOptions { Batching = batching });
        Assert.Equal(before + 1, LoadedModel.LiveSessions);
        float[] scores = await model.PredictAsync(TinyModels.ImageFor(3), 1);
        Assert.Equal(3, Array.IndexOf(scores, scores.Max()));

        model.Dispose();

        var deadline = DateTime.UtcNow.AddSeconds(10); // with batching the session goes once the workers have ended
        while (LoadedModel.LiveSessions != before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(before, LoadedModel.LiveSessions);
    }

    [Fact]
    public async Task SpinWhenAlone_OpensASecondSessionForALoneClient_WithTheSameScores_AndOnlyForSmallModels()
    {
        byte[] bytes = TinyModels.Linear();
        int before = LoadedModel.LiveSessions;
        float[] expected;
        using (var plain = new LoadedModel(Manifest(bytes), bytes, new InferenceOptions { Batching = false })) // without batching a disposed model's sessions go at once
        {
            expected = await plain.PredictAsync(TinyModels.ImageFor(3), 1);
        }

        var model = new LoadedModel(Manifest(bytes), bytes, new InferenceOptions { Batching = false, SpinWhenAlone = true });
        Assert.Equal(before + 2, LoadedModel.LiveSessions);
        var release = new TaskCompletionSource();
        var one = ClientConnections.TrackAsync(() => release.Task); // one client connection open
        Assert.True(ClientConnections.One);
        float[] alone = await model.PredictAsync(TinyModels.ImageFor(3), 1);
        var two = ClientConnections.TrackAsync(() => release.Task);
        Assert.False(ClientConnections.One);
        float[] crowded = await model.PredictAsync(TinyModels.ImageFor(3), 1);
        release.SetResult();
        await Task.WhenAll(one, two);
        Assert.Equal(expected, alone);
        Assert.Equal(expected, crowded);
        model.Dispose();

        Assert.Equal(before, LoadedModel.LiveSessions);

        var small = new LoadedModel(Manifest(bytes), bytes, new InferenceOptions { Batching = false, SpinWhenAlone = true, SpinWhenAloneMaxModelBytes = bytes.Length - 1 });
        Assert.Equal(before + 1, LoadedModel.LiveSessions); // larger than the limit: no second copy of its weights
        small.Dispose();
        Assert.Equal(before, LoadedModel.LiveSessions);
    }

    [Fact]
    public async Task PredictAsync_WithACanceledToken_IsCanceledWithoutRunning()
    {
        byte[] bytes = TinyModels.Linear();
        using var model = new LoadedModel(Manifest(bytes), bytes, new InferenceOptions { Batching = false });

        var task = model.PredictAsync(TinyModels.ImageFor(1), 1, new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    [Fact]
    public async Task TwoModelsWithoutBatching_EachAnswersAsItsSignatureSays()
    {
        byte[] a = TinyModels.Linear(), b = TinyModels.Linear(shift: 2);
        using var first = new LoadedModel(Manifest(a), a, new InferenceOptions { Batching = false });
        using var second = new LoadedModel(Manifest(b), b, new InferenceOptions { Batching = false });

        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).PredictAsync(TinyModels.ImageFor(4), 1))));

        Assert.All(answers.Where((_, i) => i % 2 == 0), s => Assert.Equal(4, Array.IndexOf(s, s.Max())));
        Assert.All(answers.Where((_, i) => i % 2 == 1), s => Assert.Equal(2, Array.IndexOf(s, s.Max())));
        Assert.Equal(InputKind.Image, first.Signature.Input.Kind);
        Assert.Equal(new ImageShape(1, 28, 28), first.ImageInput.Shape);
    }
}
