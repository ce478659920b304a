using Lepton.Core.Contracts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>What a checkpoint records beside the weights: enough to continue as if never stopped.</summary>
public sealed record CheckpointState(
    string Architecture,
    int Epoch,
    IReadOnlyList<EpochRecord> History,
    int? BestEpoch,
    double? BestValidationLoss,
    int EpochsWithoutImprovement);

/// <summary>
/// The checkpoints of one run, in <c>{output}/checkpoints</c>: <c>epoch-NNNN/</c> with the model's and
/// the optimizer's state after each epoch, <c>best.pt</c> (the best validation loss so far), and
/// <c>last.json</c>, written last and atomically, naming the newest complete checkpoint.
/// </summary>
public sealed class Checkpoints(string outputFolder)
{
    public string Folder { get; } = Path.Combine(outputFolder, RunFolder.Checkpoints);

    private string LastPath => Path.Combine(Folder, RunFolder.CheckpointMarker);

    public string BestModelPath => Path.Combine(Folder, "best.pt");

    public CheckpointState? Last() => File.Exists(LastPath) ? LeptonJson.ReadFile<CheckpointState>(LastPath) : null;

    public void Save(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, CheckpointState state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        string dir = EpochFolder(state.Epoch);
        Directory.CreateDirectory(dir);
        model.save(Path.Combine(dir, "model.pt"));
        optimizer.save_state_dict(Path.Combine(dir, "optimizer.pt"));
        LeptonJson.WriteFile(LastPath, state);
    }

    public void SaveBest(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(Folder);
        string temp = BestModelPath + ".tmp";
        model.save(temp);
        File.Move(temp, BestModelPath, overwrite: true);
    }

    public void Restore(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, CheckpointState state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        string dir = EpochFolder(state.Epoch);
        model.load(Path.Combine(dir, "model.pt"));
        optimizer.load_state_dict(Path.Combine(dir, "optimizer.pt"));
    }

    /// <summary>Several models with their optimizers (e.g. a generator and a discriminator), saved by name.</summary>
    public void SaveParts(CheckpointState state, params (string Name, nn.Module Model, OptimizerHelper Optimizer)[] parts)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(parts);
        string dir = EpochFolder(state.Epoch);
        Directory.CreateDirectory(dir);
        foreach (var (name, model, optimizer) in parts)
        {
            model.save(Path.Combine(dir, $"{name}.pt"));
            optimizer.save_state_dict(Path.Combine(dir, $"{name}-optimizer.pt"));
        }

        LeptonJson.WriteFile(LastPath, state);
    }

    public void RestoreParts(CheckpointState state, params (string Name, nn.Module Model, OptimizerHelper Optimizer)[] parts)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(parts);
        string dir = EpochFolder(state.Epoch);
        foreach (var (name, model, optimizer) in parts)
        {
            model.load(Path.Combine(dir, $"{name}.pt"));
            optimizer.load_state_dict(Path.Combine(dir, $"{name}-optimizer.pt"));
        }
    }

    private string EpochFolder(int epoch) => Path.Combine(Folder, $"epoch-{epoch:D4}");
}
