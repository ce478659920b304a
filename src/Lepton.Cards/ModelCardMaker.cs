using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lepton.Core.Cards;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Data.Tables;
using Lepton.Core.Evaluation;
using Lepton.Core.Registry;

namespace Lepton.Cards;

/// <summary>
/// Makes a version's model card from a training run's files. A file that is missing (an older run) or
/// that cannot be read or drawn leaves its part out and says so in <see cref="ModelCard.Missing"/>: the
/// card never stops a publish. Writing the card is part of publishing
/// (<see cref="ModelRegistry.PublishAsync(string, Stream, ModelDescription, IReadOnlyDictionary{string, BinaryData}?, CancellationToken)"/>):
/// a version appears with its card or not at all.
/// </summary>
public static class ModelCardMaker
{
    /// <summary>How many of the most confidently wrong test images the grid shows.</summary>
    public const int MistakesShown = 16;

    public static CardBundle Make(CardSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var missing = new List<string>();
        var files = new Dictionary<string, BinaryData>(StringComparer.Ordinal);
        var description = source.Description;
        bool generator = description.Signature.Kind == ModelKind.Generator;
        string? run = source.RunFolder is string r && Directory.Exists(r) ? r : null;
        if (source.RunFolder is not null && run is null)
        {
            missing.Add($"the run folder ({Path.GetFileName(source.RunFolder)}) is not here: no training settings, history or predictions");
        }

        var job = Read(run, RunFolder.Spec, "training settings", missing, path => JsonNode.Parse(File.ReadAllText(path)) as JsonObject);
        string? datasetFolder = source.DatasetFolder ?? (job?["data"]?.GetValue<string>() is string d && Directory.Exists(d) ? d : null);
        job?.Remove("data"); // paths of the machine that trained: not part of what the model is
        job?.Remove("output");
        bool rows = description.Signature.Input.Kind is InputKind.Text or InputKind.Table;
        var dataset = rows ? null : LoadDataset(datasetFolder, description.Signature.Output.Labels, missing);
        var table = rows ? LoadRows(datasetFolder, missing) : null;
        int? trainLimit = job?["trainLimit"]?.GetValue<int?>();
        int? testLimit = job?["testLimit"]?.GetValue<int?>();
        var train = dataset?.Train.Take(trainLimit);
        var test = dataset?.Test.Take(testLimit);
        var labels = dataset?.LabelNames ?? description.Signature.Output.Labels;

        long? parameters = null;
        try
        {
            parameters = OnnxParameters.Count(source.Model);
        }
        catch (InvalidDataException ex)
        {
            missing.Add($"parameter count: {ex.Message}");
        }

        CardMetrics? metrics = null;
        IReadOnlyDictionary<string, double>? quality = null;
        IReadOnlyList<CardMistake>? rowMistakes = null;
        IReadOnlyList<ColumnImportance>? importance = null;
        if (generator)
        {
            var generated = Read(run, RunFolder.Metrics, "sample quality", missing, LeptonJson.ReadFile<GeneratorMetrics>);
            quality = generated is null ? Quality(description.Metrics) : Quality(generated.Quality);
            AddImage(files, missing, CardFiles.Samples, "sample grid", () =>
                run is not null && File.Exists(new RunFolder(run).SamplesPath) ? File.ReadAllBytes(new RunFolder(run).SamplesPath) : throw new FileNotFoundException("no samples.png in the run"));
        }
        else
        {
            var report = source.Evaluation ?? Read(run, RunFolder.Metrics, "test metrics", missing, path => LeptonJson.ReadFile<TrainingMetrics>(path).Test);
            metrics = report is null ? null : CardMetrics.From(report);
            var history = Read(run, RunFolder.History, "training curves", missing, LeptonJson.ReadFile<TrainingHistory>);
            if (history is not null)
            {
                AddImage(files, missing, CardFiles.Curves, "training curves", () => CardPlots.Curves(history));
            }

            if (report is not null)
            {
                AddImage(files, missing, CardFiles.Confusion, "confusion matrix", () => CardPlots.Confusion(report));
            }

            var predictions = Read(run, RunFolder.Predictions, "most confident mistakes", missing, LeptonJson.ReadFile<TestPredictions>);
            if (rows)
            {
                rowMistakes = predictions?.Inputs is { } inputs ? RowMistakes(predictions, inputs, labels) : null;
                importance = Read(run, RunFolder.Metrics, "column importance", missing, path => LeptonJson.ReadFile<TrainingMetrics>(path))?.ColumnImportance;
            }
            else if (predictions is not null && test is null)
            {
                missing.Add("most confident mistakes: the test images are not here (no dataset)");
            }
            else if (predictions is not null && test is not null)
            {
                AddImage(files, missing, CardFiles.Mistakes, "most confident mistakes", () => Mistakes(predictions, test, labels));
            }
        }

        if (source.Sweep is { } sweep)
        {
            AddImage(files, missing, CardFiles.Sweep, "sweep trials", () => CardPlots.Sweep(sweep));
        }

        var card = new ModelCard
        {
            Sweep = source.Sweep,
            Kind = description.Signature.Kind,
            Architecture = description.Architecture,
            Parameters = parameters,
            Dataset = table is null
                ? new CardDataset(source.DatasetVersion, Counts(train, labels), Counts(test, labels))
                : new CardDataset(source.DatasetVersion, Counts(table.Train.Take(trainLimit ?? int.MaxValue), labels), Counts(table.Test.Take(testLimit ?? int.MaxValue), labels)),
            Mistakes = rowMistakes,
            ColumnImportance = importance,
            Training = job is null ? null : JsonSerializer.SerializeToElement(job),
            Metrics = metrics,
            Quality = quality,
            Images = [.. files.Keys],
            Missing = missing,
        };
        files[CardFiles.CardFile] = BinaryData.FromString(LeptonJson.Serialize(card));
        return new CardBundle(card, files);
    }

    private static byte[] Mistakes(TestPredictions predictions, LabeledImages test, IReadOnlyList<string> labels)
    {
        if (predictions.Actual.Count > test.Count || predictions.Predicted.Count != predictions.Actual.Count || predictions.Confidence.Count != predictions.Actual.Count)
        {
            throw new InvalidDataException($"predictions.json has {predictions.Actual.Count} images, the test set {test.Count}");
        }

        for (int i = 0; i < predictions.Actual.Count; i++)
        {
            if (predictions.Actual[i] != test.Labels[i])
            {
                throw new InvalidDataException($"predictions.json does not match the test set (image {i} is class {test.Labels[i]}, not {predictions.Actual[i]})");
            }
        }

        string Label(int c) => c >= 0 && c < labels.Count ? labels[c] : c.ToString(CultureInfo.InvariantCulture);
        int wrong = Enumerable.Range(0, predictions.Actual.Count).Count(i => predictions.Predicted[i] != predictions.Actual[i]);
        var worst = Enumerable.Range(0, predictions.Actual.Count)
            .Where(i => predictions.Predicted[i] != predictions.Actual[i])
            .OrderByDescending(i => predictions.Confidence[i]).ThenBy(i => i)
            .Take(MistakesShown)
            .Select(i => new CardPlots.Mistake(test.Images.Image(i).ToArray(), test.Images.Rows, test.Images.Columns,
                Label(predictions.Actual[i]), Label(predictions.Predicted[i]), predictions.Confidence[i], test.Images.Channels))
            .ToArray();
        if (worst.Length == 0)
        {
            throw new InvalidDataException($"every one of the {predictions.Actual.Count} test images is classified right");
        }

        return CardPlots.Mistakes(worst, string.Create(CultureInfo.InvariantCulture,
            $"Most confidently wrong: {worst.Length} of {wrong} mistakes on {predictions.Actual.Count} test images"));
    }

    /// <summary>The most confidently wrong test texts or rows, as predictions.json shows them.</summary>
    private static CardMistake[] RowMistakes(TestPredictions predictions, IReadOnlyList<string> inputs, IReadOnlyList<string> labels)
    {
        string Label(int c) => c >= 0 && c < labels.Count ? labels[c] : c.ToString(CultureInfo.InvariantCulture);
        return [.. Enumerable.Range(0, Math.Min(inputs.Count, predictions.Actual.Count))
            .Where(i => predictions.Predicted[i] != predictions.Actual[i])
            .OrderByDescending(i => predictions.Confidence[i]).ThenBy(i => i)
            .Take(MistakesShown)
            .Select(i => new CardMistake(inputs[i], Label(predictions.Actual[i]), Label(predictions.Predicted[i]), predictions.Confidence[i]))];
    }

    private static TabularDataset? LoadRows(string? folder, List<string> missing)
    {
        if (folder is null || !TabularDataset.IsTabular(folder))
        {
            missing.Add("dataset class counts: the dataset is not here");
            return null;
        }

        try
        {
            return TabularDataset.Load(folder);
        }
        catch (Exception ex) when (ex is DatasetFormatException or IOException or JsonException or InvalidDataException)
        {
            missing.Add($"dataset class counts: {ex.Message}");
            return null;
        }
    }

    private static Dictionary<string, int> Counts(IEnumerable<LabeledRow> rows, IReadOnlyList<string> labels)
    {
        var counts = labels.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            string label = row.Label < labels.Count ? labels[row.Label] : row.Label.ToString(CultureInfo.InvariantCulture);
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }

        return counts;
    }

    private static MnistDataset? LoadDataset(string? folder, IReadOnlyList<string> labels, List<string> missing)
    {
        if (folder is null)
        {
            missing.Add("dataset class counts and test images: the dataset is not here");
            return null;
        }

        try
        {
            return MnistDataset.Load(folder, labels.Count > 0 ? labels : null);
        }
        catch (Exception ex) when (ex is DatasetFormatException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            missing.Add($"dataset class counts and test images: {ex.Message}");
            return null;
        }
    }

    private static Dictionary<string, int>? Counts(LabeledImages? data, IReadOnlyList<string> labels)
    {
        if (data is null)
        {
            return null;
        }

        var counts = new int[Math.Max(labels.Count, data.Labels.Length == 0 ? 0 : data.Labels.ToArray().Max() + 1)];
        foreach (byte label in data.Labels)
        {
            counts[label]++;
        }

        return Enumerable.Range(0, counts.Length).ToDictionary(
            c => c < labels.Count ? labels[c] : c.ToString(CultureInfo.InvariantCulture), c => counts[c], StringComparer.Ordinal);
    }

    private static Dictionary<string, double>? Quality(IReadOnlyDictionary<string, double> manifestMetrics)
    {
        string[] keys = [ManifestMetrics.FrechetDistance, ManifestMetrics.FrechetFloor, ManifestMetrics.FrechetCeiling, ManifestMetrics.MeanConfidence, ManifestMetrics.ClassEntropy];
        var found = keys.Where(manifestMetrics.ContainsKey).ToDictionary(k => k, k => manifestMetrics[k], StringComparer.Ordinal);
        return found.Count > 0 ? found : null;
    }

    private static Dictionary<string, double> Quality(GenerationQuality quality) => new(ManifestMetrics.From(quality), StringComparer.Ordinal)
    {
        ["generatedImages"] = quality.GeneratedImages,
        ["featureClassifierTestAccuracy"] = quality.FeatureClassifierTestAccuracy,
    };

    private static T? Read<T>(string? run, string file, string what, List<string> missing, Func<string, T?> read)
        where T : class
    {
        string? path = run is null ? null : Path.Combine(run, file);
        if (path is null || !File.Exists(path))
        {
            if (run is not null)
            {
                missing.Add($"{what}: the run has no {file}");
            }

            return null;
        }

        try
        {
            return read(path) ?? throw new InvalidDataException($"{file} is empty");
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or IOException or InvalidOperationException or FormatException)
        {
            missing.Add($"{what}: {file} cannot be read ({ex.Message})");
            return null;
        }
    }

    private static void AddImage(Dictionary<string, BinaryData> files, List<string> missing, string file, string what, Func<byte[]> render)
    {
        try
        {
            files[file] = BinaryData.FromBytes(render());
        }
#pragma warning disable CA1031 // a plot that cannot be drawn is left out of the card (and said so), never a failed publish
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            missing.Add($"{what}: {ex.Message}");
        }
    }
}
