using System.Text.Json;
using Lepton.Core.Contracts;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lepton.Inference;

/// <summary>
/// An image generator over an ONNX model with input <see cref="ModelContract.LatentInputName"/> [N,z] and
/// output <see cref="ModelContract.ImageOutputName"/> [N,C,H,W]: one session, created once; thread-safe.
/// </summary>
public sealed class OnnxGenerator : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxGenerator(string modelPath, int? intraOpThreads = null)
    {
        _session = OnnxSessions.Open(modelPath, intraOpThreads);
        if (!_session.InputMetadata.TryGetValue(ModelContract.LatentInputName, out var input) || input.Dimensions.Length != 2
            || !_session.OutputMetadata.TryGetValue(ModelContract.ImageOutputName, out var output) || output.Dimensions.Length != 4)
        {
            _session.Dispose();
            throw new InvalidDataException($"{modelPath}: not a generator (input '{ModelContract.LatentInputName}' [N,z], output '{ModelContract.ImageOutputName}' [N,C,H,W])");
        }

        LatentSize = input.Dimensions[1];
        Channels = output.Dimensions[1];
        Height = output.Dimensions[2];
        Width = output.Dimensions[3];
        var meta = _session.ModelMetadata.CustomMetadataMap;
        Labels = meta.TryGetValue(ModelContract.LabelsKey, out string? labels) ? JsonSerializer.Deserialize<string[]>(labels) ?? [] : [];
    }

    public int LatentSize { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public IReadOnlyList<string> Labels { get; }

    public int PixelsPerImage => Channels * Height * Width;

    /// <summary>Images [count,C,H,W] of <paramref name="count"/> latent vectors [count,z].</summary>
    public float[] Run(float[] latents, int count)
    {
        ArgumentNullException.ThrowIfNull(latents);
        var tensor = new DenseTensor<float>(latents, [count, LatentSize]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(ModelContract.LatentInputName, tensor)]);
        return results.First(r => r.Name == ModelContract.ImageOutputName).AsTensor<float>().ToArray();
    }

    /// <summary>Images of many latent vectors, in batches.</summary>
    public float[] Generate(float[] latents, int count, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(latents);
        var images = new float[count * PixelsPerImage];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            Run(latents.AsSpan(start * LatentSize, n * LatentSize).ToArray(), n).CopyTo(images.AsSpan(start * PixelsPerImage));
        }

        return images;
    }

    /// <summary>Standard normal latent vectors [count,z] from a seed (Box-Muller over a seeded generator).</summary>
    public static float[] Latents(int count, int latentSize, int seed)
    {
        var random = new Random(seed);
        var values = new float[count * latentSize];
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
            }
        }

        return values;
    }

    public void Dispose() => _session.Dispose();
}
