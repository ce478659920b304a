using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lepton.CommandLine;
using Lepton.Core.Data;
using Lepton.Core.Registry;
using Lepton.Inference.Explain;
using Lepton.Inference.Runtime;
using SkiaSharp;

namespace Lepton.Cli;

/// <summary>
/// <c>lepton bench-onnx &lt;model.onnx&gt; --data &lt;dataset folder&gt; --out &lt;folder&gt;</c>: raw in-process
/// ONNX Runtime throughput of a model (one image per run, and batches of 64), the baseline the HTTP
/// benchmark is compared with; also writes request bodies for it (infer.json, predict.png) made from
/// the first test image. Then the latency of an explanation (occlusion saliency with the default patch and
/// stride, as <c>POST /api/models/{name}/explain</c> computes it), p50 and p95 (<c>--no-explain</c> skips it: a
/// transfer model scores hundreds of occluded 224x224 copies an explanation). Any image model: the test images
/// of an IDX dataset or a prepared image-folder dataset, at the model's C x H x W.
/// </summary>
public static class BenchOnnxCommand
{
    public static Command Create()
    {
        var model = CliOptions.Positional<string>("model.onnx", "the model file", ArgumentArity.ExactlyOne);
        var data = CliOptions.Required("--data", "folder", "a dataset folder (the four IDX files): its first 512 test images");
        var outDir = CliOptions.Required("--out", "folder", "where infer.json and predict.png (request bodies for the HTTP benchmark) go");
        var seconds = CliOptions.Whole("--seconds", "how long each measurement runs", 5, 1, 600);
        var explain = CliOptions.Switch("--explain", "also time an explanation (--no-explain skips it)", "on");
        var command = new Command("bench-onnx", "raw ONNX Runtime throughput of a model in process, and the latency of an explanation") { model, data, outDir, seconds, explain };
        command.SetAction((result, _) => RunAsync(result.GetValue(model)!, result.GetValue(data)!, result.GetValue(outDir)!, result.GetValue(seconds), Console.Out, result.GetValue(explain) ?? true));
        return command;
    }

    public static async Task<int> RunAsync(string modelPath, string data, string outDir, int seconds, TextWriter output, bool explain = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        byte[] bytes = await File.ReadAllBytesAsync(modelPath).ConfigureAwait(false);
        var description = ModelInspector.Describe(bytes);
        var manifest = new ModelManifest
        {
            Name = "bench", Version = 1, CreatedAt = DateTimeOffset.UtcNow, Inputs = description.Inputs, Outputs = description.Outputs,
            Signature = description.Signature, Sha256 = string.Empty, SizeBytes = bytes.Length,
        };
        var test = MnistDataset.Load(data).Test.Take(512);
        Directory.CreateDirectory(outDir);
        WriteBodies(test, outDir);

        using var model = new LoadedModel(manifest, bytes, new InferenceOptions { Batching = false });
        float[] all = test.Images.ToScaledFloats();
        int size = test.Images.PixelsPerImage;
        int batch = Math.Min(64, test.Count - 1);
        double single = Measure(seconds, i =>
        {
            int k = i % test.Count;
            model.Run(all.AsSpan(k * size, size).ToArray(), 1);
            return 1;
        });
        double batched = Measure(seconds, i =>
        {
            int k = (i * batch) % (test.Count - batch);
            model.Run(all.AsSpan(k * size, batch * size).ToArray(), batch);
            return batch;
        });
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"raw ONNX Runtime, in process: {single:F1} images/s one at a time, {batched:F1} images/s in batches of {batch}")).ConfigureAwait(false);
        if (!explain || test.Images.Channels != 1 || test.Images.Rows != 28 || test.Images.Columns != 28)
        {
            return 0; // the explanation timing is that of 28x28 gray models
        }

        var (p50, p95, copies) = MeasureExplain(model, all, test.Count, seconds);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"explain (occlusion, patch {Occlusion.DefaultPatch}, stride {Occlusion.DefaultStride}: {copies} copies + the original in one run): p50 {p50:F2} ms, p95 {p95:F2} ms")).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Latency of one explanation with the default patch and stride (what POST .../explain computes), over test images in turn.</summary>
    private static (double P50, double P95, int Copies) MeasureExplain(LoadedModel model, float[] all, int count, int seconds)
    {
        int copies = 0;
        for (int i = 0; i < 10; i++)
        {
            copies = Occlusion.Explain(model.Run, all.AsSpan((i % count) * 784, 784).ToArray(), 28, 28).Copies;
        }

        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; clock.Elapsed.TotalSeconds < seconds || times.Count < 20; i++)
        {
            float[] image = all.AsSpan((i % count) * 784, 784).ToArray();
            long start = Stopwatch.GetTimestamp();
            Occlusion.Explain(model.Run, image, 28, 28);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        times.Sort();
        return (times[times.Count / 2], times[(int)Math.Min(times.Count - 1, Math.Ceiling(times.Count * 0.95) - 1)], copies);
    }

    private static double Measure(int seconds, Func<int, int> run)
    {
        // Warm-up: 50 runs, or 2 s of them for a slow model.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 50 && (i == 0 || warm.Elapsed.TotalSeconds < 2); i++)
        {
            run(i);
        }

        var clock = Stopwatch.StartNew();
        long images = 0;
        for (int i = 0; clock.Elapsed.TotalSeconds < seconds; i++)
        {
            images += run(i);
        }

        return images / clock.Elapsed.TotalSeconds;
    }

    private static void WriteBodies(LabeledImages test, string outDir)
    {
        var image = test.Images.Image(0);
        int channels = test.Images.Channels, rows = test.Images.Rows, columns = test.Images.Columns, plane = rows * columns;
        var json = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{{\"inputs\":[{{\"name\":\"pixels\",\"shape\":[1,{channels},{rows},{columns}],\"datatype\":\"UINT8\",\"data\":["));
        json.AppendJoin(',', image.ToArray());
        json.Append("]}]}");
        File.WriteAllText(Path.Combine(outDir, "infer.json"), json.ToString());

        // The same picture as a photo would show it, 4x (a gray one dark on white); a color one as it is, 2x.
        int scale = channels == 1 ? 4 : 2;
        using var bitmap = new SKBitmap(new SKImageInfo(columns * scale, rows * scale, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < rows * scale; y++)
        {
            for (int x = 0; x < columns * scale; x++)
            {
                int at = ((y / scale) * columns) + (x / scale);
                bitmap.SetPixel(x, y, channels == 1
                    ? new SKColor((byte)(255 - image[at]), (byte)(255 - image[at]), (byte)(255 - image[at]))
                    : new SKColor(image[at], image[plane + at], image[(2 * plane) + at]));
            }
        }

        using var encoded = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(outDir, "predict.png"), encoded.ToArray());
    }
}
