using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Google.Protobuf;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference;
using Lepton.Training.Export;
using Lepton.Training.Transfer;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lepton.Trainer;

/// <summary>
/// The frozen backbone's features of prepared images (<see cref="OnnxExporter.ExportFeaturizer"/>: the exported
/// classifier's own front), computed in ONNX Runtime in batches, and cached by content: the key is a hash of
/// the backbone, the image shape and every pixel, so a dataset version is featurized once. With
/// <c>stageInput</c> (for <c>--fine-tune</c>): the activations entering the last stage instead
/// (<see cref="OnnxExporter.ExportFront"/>, a truncated copy of the graph), 50,176 floats (200,704 bytes) an
/// image, on disk in the cache and in memory while training: about 400 MB for 2,000 images.
/// </summary>
public sealed class TransferFeatures : IDisposable
{
    private const int BatchSize = 32;

    private readonly InferenceSession _session;
    private readonly ImageShape _shape;
    private readonly string _cache;
    private readonly string _output;
    private readonly string _level;

    public TransferFeatures(ImageShape shape, int? threads, string? cacheFolder = null, bool stageInput = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _shape = shape;
        _cache = cacheFolder ?? DefaultCache();
        var graph = stageInput ? OnnxExporter.ExportFront(shape.Channels, shape.Height, shape.Width) : OnnxExporter.ExportFeaturizer(shape.Channels, shape.Height, shape.Width);
        _session = OnnxSessions.Open(graph.ToByteArray(), threads);
        _output = stageInput ? TransferBackbone.StageInputName : TransferBackbone.FeaturesName;
        _level = stageInput ? $"{TransferBackbone.FineTunedStage}-input|" : string.Empty; // frozen features keep their keys
        ValuesPerImage = stageInput ? StageGraph.ValuesPerImage : TransferBackbone.Features;
    }

    /// <summary>Floats computed per image: 512 features, or 256x14x14 activations entering the last stage.</summary>
    public int ValuesPerImage { get; }

    /// <summary>Images per second of the last featurization that was not a cache hit (0 before).</summary>
    public double ImagesPerSecond { get; private set; }

    /// <summary>The features [N,512] of <paramref name="images"/>, from the cache when they were computed before.</summary>
    public float[] Compute(ImageArray images, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(log);
        string path = Path.Combine(_cache, Key(images) + ".f32");
        long length = (long)images.Count * ValuesPerImage;
        if (File.Exists(path) && new FileInfo(path).Length == length * sizeof(float))
        {
            log.WriteLine($"features: {images.Count} images from the cache ({path})");
            var cached = new float[length];
            using var file = File.OpenRead(path);
            file.ReadExactly(MemoryMarshal.AsBytes(cached.AsSpan()));
            return cached;
        }

        var clock = Stopwatch.StartNew();
        var features = Featurize(images);
        ImagesPerSecond = images.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        log.WriteLine($"features: {images.Count} images through {TransferBackbone.Name} in {clock.Elapsed.TotalSeconds:F1} s ({ImagesPerSecond:F1} images/s)");
        Directory.CreateDirectory(_cache);
        string temp = $"{path}.tmp-{Environment.ProcessId}";
        using (var file = File.Create(temp))
        {
            file.Write(MemoryMarshal.AsBytes(features.AsSpan()));
        }

        File.Move(temp, path, overwrite: true);
        return features;
    }

    /// <summary>The features of every image, in batches of 32, without the cache.</summary>
    public float[] Featurize(ImageArray images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Channels != _shape.Channels || images.Rows != _shape.Height || images.Columns != _shape.Width)
        {
            throw new ArgumentException($"images of {images.Channels}x{images.Rows}x{images.Columns}, the featurizer takes {_shape}", nameof(images));
        }

        var result = new float[(long)images.Count * ValuesPerImage];
        for (int start = 0; start < images.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, images.Count - start);
            var tensor = new DenseTensor<float>(images.ToScaledFloats(start, n), [n, _shape.Channels, _shape.Height, _shape.Width]);
            using var outputs = _session.Run([NamedOnnxValue.CreateFromTensor(ModelContract.InputName, tensor)]);
            outputs.Single(o => o.Name == _output).AsTensor<float>().ToArray()
                .CopyTo(result.AsSpan(start * ValuesPerImage));
        }

        return result;
    }

    public void Dispose() => _session.Dispose();

    private string Key(ImageArray images)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{TransferBackbone.Name}|{_level}{_shape.Channels}x{_shape.Height}x{_shape.Width}|{images.Count}|"));
        hash.AppendData(images.Pixels);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string DefaultCache() =>
        Environment.GetEnvironmentVariable(LeptonSettings.FeatureCache) is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "lepton", "features");
}
