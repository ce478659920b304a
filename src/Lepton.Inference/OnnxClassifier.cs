using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Evaluation;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lepton.Inference;

/// <summary>
/// An image classifier over an ONNX model that follows <see cref="ModelContract"/>: one session,
/// created once; <see cref="Run"/> is thread-safe.
/// </summary>
public sealed class OnnxClassifier : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxClassifier(string modelPath, int? intraOpThreads = null)
    {
        _session = OnnxSessions.Open(modelPath, intraOpThreads);
        if (!_session.InputMetadata.TryGetValue(ModelContract.InputName, out var input))
        {
            _session.Dispose();
            throw new InvalidDataException($"{modelPath}: no input named '{ModelContract.InputName}'");
        }

        int[] dims = input.Dimensions;
        if (dims.Length != 4)
        {
            _session.Dispose();
            throw new InvalidDataException($"{modelPath}: input '{ModelContract.InputName}' has {dims.Length} dimensions, expected 4 [N,C,H,W]");
        }

        Channels = dims[1];
        Height = dims[2];
        Width = dims[3];
        var meta = _session.ModelMetadata.CustomMetadataMap;
        Labels = meta.TryGetValue(ModelContract.LabelsKey, out string? labels)
            ? JsonSerializer.Deserialize<string[]>(labels) ?? []
            : [];
        Architecture = meta.TryGetValue(ModelContract.ArchitectureKey, out string? arch) ? arch : null;
        Classes = _session.OutputMetadata[ModelContract.OutputName].Dimensions[^1];
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public int Classes { get; }

    public IReadOnlyList<string> Labels { get; }

    public string? Architecture { get; }

    /// <summary>Scores [count, classes] for <paramref name="count"/> images of scaled pixels.</summary>
    public float[] Run(float[] pixels, int count)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var tensor = new DenseTensor<float>(pixels, [count, Channels, Height, Width]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(ModelContract.InputName, tensor)]);
        return results.First(r => r.Name == ModelContract.OutputName).AsTensor<float>().ToArray();
    }

    /// <summary>Scores of every image, computed in batches.</summary>
    public float[] Score(ImageArray images, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(images);
        var scores = new float[images.Count * Classes];
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, images.Count - start);
            Run(images.ToScaledFloats(start, n), n).CopyTo(scores.AsSpan(start * Classes));
        }

        return scores;
    }

    /// <summary>Accuracy, per-class metrics and confusion matrix on labeled images.</summary>
    public ClassificationReport Evaluate(LabeledImages data, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var predictions = ClassificationReport.ArgMax(Score(data.Images), Classes);
        IReadOnlyList<string> names = labels ?? (Labels.Count == Classes ? Labels : Enumerable.Range(0, Classes).Select(i => i.ToString()).ToArray());
        return ClassificationReport.Compute(data.Labels, predictions, names);
    }

    public void Dispose() => _session.Dispose();
}
