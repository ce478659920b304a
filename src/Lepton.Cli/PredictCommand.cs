using System.Globalization;
using Lepton.Inference.Decoding;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;

namespace Lepton.Cli;

/// <summary><c>lepton predict &lt;name&gt; &lt;image...&gt;</c>: a quick check from a shell, in process.</summary>
public static class PredictCommand
{
    public static async Task<int> RunAsync(CliArgs args, ModelRuntime runtime, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Positional.Count < 2)
        {
            throw new UsageException("usage: predict <name> <image.png> [more images] [--version v | --alias a] [--top k]");
        }

        string name = args.Positional[0];
        int? version = args.GetInt("--version", 1);
        string? alias = args.Get("--alias");
        int top = args.GetInt("--top", 1) ?? 3;
        int resolved = await runtime.ResolveAsync(name, version, alias).ConfigureAwait(false);
        var model = await runtime.GetAsync(name, resolved).ConfigureAwait(false);
        await output.WriteLineAsync($"{name} version {resolved}").ConfigureAwait(false);
        foreach (string path in args.Positional.Skip(1))
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"image not found: {path}");
            }

            float[] pixels = ImageDecoder.Decode(await File.ReadAllBytesAsync(path).ConfigureAwait(false),
                model.ImageInput, runtime.Options.Inversion, runtime.Options.MaxImagePixels);
            float[] probabilities = Scores.Softmax(await model.PredictAsync(pixels, 1).ConfigureAwait(false), model.Classes);
            var best = Scores.TopK(probabilities, Math.Min(top, model.Classes));
            string Label(int c) => c < model.Signature.Output.Labels.Count ? model.Signature.Output.Labels[c] : c.ToString(CultureInfo.InvariantCulture);
            await output.WriteLineAsync($"{path}: {string.Join(", ", best.Select(c => $"{Label(c)} {probabilities[c]:P1}"))}").ConfigureAwait(false);
        }

        return 0;
    }
}
