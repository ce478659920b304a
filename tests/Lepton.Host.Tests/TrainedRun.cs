using Lepton.Cards;
using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;
using Lepton.Pipeline.Compute;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// One real training run for the tests that show a model as a user sees it (the console): the trainer
/// (through scripts/torch-run.sh, as the pipeline starts it) trains a small `mlp` on a Fashion-MNIST slice,
/// and versions are published from its folder with the card the publish step makes. Trained once per test run.
/// </summary>
public static class TrainedRun
{
    private static readonly Lazy<Task<(string Run, string Data)>> Trained = new(TrainAsync);

    private static async Task<(string Run, string Data)> TrainAsync()
    {
        string root = TestDatasets.ProcessTempFolder("lepton-trained-run-");
        string data = TestDatasets.WriteSlice(Path.Combine(root, "fashion-mnist"), train: 3000, test: 500);
        string run = Path.Combine(root, "run");
        await TrainerAsync(["train", "--arch", "mlp", "--data", data, "--out", run, "--epochs", "4", "--threads", "1"], Path.Combine(root, "trainer.log"));
        return (run, data);
    }

    /// <summary>
    /// Runs <c>lepton-trainer</c> as the pipeline starts it (<see cref="TrainerCommand"/>), at most five minutes;
    /// throws with its log when it fails.
    /// </summary>
    public static async Task TrainerAsync(IReadOnlyList<string> args, string log, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = TrainerCommand.Locate().Start(args, environment ?? new Dictionary<string, string>(), log);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the trainer exited with {process.ExitCode}: {await File.ReadAllTextAsync(log)}");
        }
    }

    /// <summary>Publishes the run as the next version of <paramref name="model"/>, with its model card.</summary>
    public static async Task<ModelManifest> PublishAsync(ModelRegistry registry, string model)
    {
        var (run, data) = await Trained.Value;
        return await PublishAsync(registry, model, run, data);
    }

    /// <summary>
    /// Publishes the run folder <paramref name="run"/> (trained on the prepared <paramref name="data"/>) as the next
    /// version of <paramref name="model"/>, with the card the publish step makes.
    /// </summary>
    public static async Task<ModelManifest> PublishAsync(ModelRegistry registry, string model, string run, string data)
    {
        ArgumentNullException.ThrowIfNull(registry);
        byte[] bytes = await File.ReadAllBytesAsync(Path.Combine(run, "model.onnx"));
        var metrics = RunMetrics.Parse(await File.ReadAllTextAsync(Path.Combine(run, "metrics.json")), "metrics.json");
        var description = metrics.Describe(ModelInspector.Describe(bytes), Path.GetFileName(run), null);
        var card = ModelCardMaker.Make(new CardSource(bytes, description, run, data));
        return await registry.PublishAsync(model, new MemoryStream(bytes), description, card.Files);
    }
}
