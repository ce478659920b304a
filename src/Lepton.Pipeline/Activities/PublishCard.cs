using Lepton.Core.Contracts;
using Lepton.Cards;
using Lepton.Core.Registry;

namespace Lepton.Pipeline.Activities;

/// <summary>
/// The model card of a version the pipeline publishes: made from the run's files (on this machine, or
/// fetched from <c>runs/{id}/</c> for a cloud job), the prepared dataset and the run's evaluation (its metrics.json).
/// </summary>
public static class PublishCard
{
    /// <summary>The run files a card reads besides model.onnx.</summary>
    public static readonly IReadOnlyList<string> RunFiles = RunFolder.CardInputs;

    /// <param name="modelPath">The run's model.onnx on this machine (as the publish step fetched it): the card's files go beside it.</param>
    public static async Task<IReadOnlyDictionary<string, BinaryData>> MakeAsync(PipelineWorkspace workspace, PublishRequest input, string modelPath, byte[] model, ModelDescription description)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(input);
        string run = Path.GetDirectoryName(modelPath)!;
        if (input.Job.OutputStorePath is string stored)
        {
            foreach (string file in RunFiles.Where(f => !File.Exists(Path.Combine(run, f))))
            {
                var content = await workspace.Store.ReadAsync($"{stored}/{file}").ConfigureAwait(false);
                if (content is not null)
                {
                    await File.WriteAllBytesAsync(Path.Combine(run, file), content.Data.ToArray()).ConfigureAwait(false);
                }
            }
        }

        string dataset = await workspace.LocalPreparedAsync(input.Dataset).ConfigureAwait(false);
        var sweep = input.Sweep is { } s
            ? new Core.Cards.CardSweep(s.SweepId, s.BestTrial, s.Trials.Select(t => new Core.Cards.CardTrial(
                t.Trial, t.Settings, t.State.ToString().ToLowerInvariant(), t.Epoch, t.TotalEpochs, t.ValidationAccuracies)).ToArray())
            : null;
        var card = await Task.Run(() => ModelCardMaker.Make(new CardSource(model, description, run, dataset, input.Dataset.Version, input.Metrics.Classifier?.Test, sweep))).ConfigureAwait(false);
        return card.Files;
    }
}
