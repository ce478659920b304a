using Lepton.Core.Contracts;
using Lepton.Core.Data.Tables;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lepton.Inference;

/// <summary>
/// A text or table classifier's ONNX file, scored in batches: token ids int64 [N,T] or features float32
/// [N,F] in, logits out. The trainer evaluates the exported file with it; <see cref="ReadTokenizer"/>
/// is how every reader gets the tokenizer the model was trained with.
/// </summary>
public sealed class OnnxRowScorer : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxRowScorer(string modelPath, int? intraOpThreads = null)
    {
        _session = OnnxSessions.Open(modelPath, intraOpThreads);
        var input = _session.InputMetadata.First();
        InputName = input.Key;
        Width = input.Value.Dimensions[^1];
        Classes = _session.OutputMetadata[ModelContract.OutputName].Dimensions[^1];
        Tokenizer = ReadTokenizer(_session.ModelMetadata.CustomMetadataMap);
    }

    public string InputName { get; }

    /// <summary>T for text, F for tables.</summary>
    public int Width { get; }

    public int Classes { get; }

    public TextTokenizer? Tokenizer { get; }

    /// <summary>The tokenizer in a model's metadata (<see cref="TextTokenizer.MetadataKey"/>), or null when it has none.</summary>
    public static TextTokenizer? ReadTokenizer(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.TryGetValue(TextTokenizer.MetadataKey, out string? json)
            ? LeptonJson.Deserialize<TextTokenizer>(json, $"the model's {TextTokenizer.MetadataKey} metadata")
            : null;
    }

    public float[] Score(long[] ids, int count, int batchSize = 256) =>
        Score<long>(ids, count, batchSize);

    public float[] Score(float[] features, int count, int batchSize = 256) =>
        Score<float>(features, count, batchSize);

    private float[] Score<T>(T[] values, int count, int batchSize)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(values);
        var scores = new float[count * Classes];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            var tensor = new DenseTensor<T>(values.AsMemory(start * Width, n * Width), [n, Width]);
            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(InputName, tensor)], [ModelContract.OutputName]);
            results[0].AsTensor<float>().ToArray().CopyTo(scores.AsSpan(start * Classes));
        }

        return scores;
    }

    public void Dispose() => _session.Dispose();
}
