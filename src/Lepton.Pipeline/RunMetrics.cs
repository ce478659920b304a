using System.Text.Json;
using System.Text.Json.Serialization;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;

namespace Lepton.Pipeline;

/// <summary>
/// A trainer's metrics.json, of either kind: a classifier's test-set evaluation (by ONNX Runtime on the
/// exported model) or a generator's sample quality. The one evaluation of a run: the pipeline and
/// <c>lepton models publish --run</c> publish from it; nothing evaluates the model a second time.
/// </summary>
public sealed record RunMetrics(TrainingMetrics? Classifier, GeneratorMetrics? Generator)
{
    [JsonIgnore]
    public bool IsGenerator => Generator is not null;

    /// <summary>The test accuracy of a classifier (null for a generator).</summary>
    [JsonIgnore]
    public double? Accuracy => Classifier?.Test.Accuracy;

    /// <summary>The Fréchet distance of a generator (null for a classifier).</summary>
    [JsonIgnore]
    public double? FrechetDistance => Generator?.Quality.FrechetDistance;

    /// <summary>Reads metrics.json; <see cref="InvalidDataException"/> naming <paramref name="source"/> when it is neither kind.</summary>
    public static RunMetrics Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelKind kind;
        try
        {
            using var document = JsonDocument.Parse(json);
            kind = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("kind", out var k)
                && Enum.TryParse(k.GetString(), ignoreCase: true, out ModelKind named) ? named : ModelKind.Classifier;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }

        return kind == ModelKind.Generator
            ? new RunMetrics(null, LeptonJson.Deserialize<GeneratorMetrics>(json, source))
            : new RunMetrics(LeptonJson.Deserialize<TrainingMetrics>(json, source), null);
    }

    /// <summary>The scalar metrics a manifest keeps.</summary>
    public Dictionary<string, double> ManifestValues()
    {
        if (Generator is { } generator)
        {
            var values = ManifestMetrics.From(generator.Quality);
            values["parityMaxAbsDifference"] = generator.Parity.MaxAbsDifference;
            return values;
        }

        var classifier = Classifier!;
        var result = ManifestMetrics.From(classifier.Test);
        result["torchAccuracy"] = classifier.TorchTestAccuracy;
        result["parityMaxAbsDifference"] = classifier.Parity.MaxAbsDifference;
        return result;
    }

    /// <summary>The model's description (read from the ONNX file) completed with what the run knows.</summary>
    public ModelDescription Describe(ModelDescription fromModel, string runId, string? datasetVersion)
    {
        ArgumentNullException.ThrowIfNull(fromModel);
        if (Generator is { } generator)
        {
            return fromModel with { Architecture = fromModel.Architecture ?? generator.Architecture, Metrics = ManifestValues(), RunId = runId, DatasetVersion = datasetVersion ?? fromModel.DatasetVersion };
        }

        var classifier = Classifier!;
        return fromModel with
        {
            Architecture = fromModel.Architecture ?? classifier.Architecture,
            Signature = fromModel.Signature.Output.Labels.Count > 0 ? fromModel.Signature
                : fromModel.Signature with { Output = fromModel.Signature.Output with { Labels = classifier.Labels } },
            Normalization = fromModel.Normalization ?? classifier.Normalization,
            Metrics = ManifestValues(),
            RunId = runId,
            DatasetVersion = datasetVersion ?? fromModel.DatasetVersion,
        };
    }
}
