using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Evaluation;

namespace Lepton.Core.Cards;

/// <summary>
/// card.json of a model version (<c>models/{name}/versions/{n}/card/</c>), written with the version and
/// before its manifest: what the model is, what it was trained on and how, how well it does, and the
/// images beside it. The model name, version and image addresses are added by whoever shows it (the
/// API, <c>lepton models card</c>), so the stored card does not depend on the number it was given.
/// </summary>
public sealed record ModelCard
{
    public const int CurrentSchema = 1;

    public int Schema { get; init; } = CurrentSchema;

    /// <summary><c>classifier</c> or <c>generator</c>.</summary>
    public required ModelKind Kind { get; init; }

    public string? Architecture { get; init; }

    /// <summary>Float values in the model's initializers: weights, biases, batch-norm statistics, folded normalization.</summary>
    public long? Parameters { get; init; }

    public required CardDataset Dataset { get; init; }

    /// <summary>The job spec the model was trained with (job.json), as the trainer wrote it.</summary>
    public JsonElement? Training { get; init; }

    /// <summary>A classifier's test-set metrics (null for a generator).</summary>
    public CardMetrics? Metrics { get; init; }

    /// <summary>A generator's sample quality: Fréchet distance, floor, ceiling, mean confidence, ...</summary>
    public IReadOnlyDictionary<string, double>? Quality { get; init; }

    /// <summary>Text and table models: the most confidently wrong test examples (the text cut short, or the row).</summary>
    public IReadOnlyList<CardMistake>? Mistakes { get; init; }

    /// <summary>Table models: each column's permutation importance on the test split, largest first.</summary>
    public IReadOnlyList<ColumnImportance>? ColumnImportance { get; init; }

    /// <summary>The sweep the model won: every trial, the best marked (null: one run trained it).</summary>
    public CardSweep? Sweep { get; init; }

    /// <summary>The image files beside card.json (e.g. <c>curves.png</c>), in display order.</summary>
    public IReadOnlyList<string> Images { get; init; } = [];

    /// <summary>What the card could not show and why (an older run without history.json, ...).</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];
}

/// <summary>A test example the model got wrong, and how sure it was.</summary>
public sealed record CardMistake(string Input, string Actual, string Predicted, double Confidence);

/// <summary>A sweep on a card: its id, the best trial and every trial.</summary>
public sealed record CardSweep(string Id, int BestTrial, IReadOnlyList<CardTrial> Trials);

/// <summary>One trial of a sweep on a card: the settings it changed, how it ended, its validation accuracy after each epoch.</summary>
public sealed record CardTrial(int Trial, string Settings, string State, int Epochs, int TotalEpochs, IReadOnlyList<double?> ValidationAccuracies);

/// <summary>The dataset a model was trained on: its version (content hash) and images per class.</summary>
public sealed record CardDataset(
    string? Version,
    IReadOnlyDictionary<string, int>? ClassCounts,
    IReadOnlyDictionary<string, int>? TestClassCounts);

/// <summary>A classifier's metrics on the test set, measured with ONNX Runtime on the exported model.</summary>
public sealed record CardMetrics(
    int Examples,
    double Accuracy,
    double MacroF1,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] ConfusionMatrix)
{
    public static CardMetrics From(ClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new CardMetrics(report.Examples, report.Accuracy, report.MacroF1, report.Classes, report.ConfusionMatrix);
    }
}
