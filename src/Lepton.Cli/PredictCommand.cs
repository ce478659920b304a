using System.CommandLine;
using System.Globalization;
using Lepton.CommandLine;
using Lepton.Inference;
using Lepton.Inference.Decoding;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;

namespace Lepton.Cli;

/// <summary><c>lepton predict &lt;name&gt; &lt;image...&gt;</c>: a quick check from a shell, in process.</summary>
public static class PredictCommand
{
    public static Command Create(Option<string?> store)
    {
        var name = CliOptions.Positional<string>("name", "the model", ArgumentArity.ExactlyOne);
        var images = CliOptions.Positional<string[]>("images", "PNG or JPEG files", ArgumentArity.OneOrMore);
        var version = CliOptions.Whole("--version", "a version", "the alias's", 1);
        var alias = CliOptions.Optional("--alias", "alias", "an alias, when no --version", "production, else the latest version");
        var top = CliOptions.Whole("--top", "how many classes to show", 3, 1);
        var command = new Command("predict", "a quick check from a shell, in process: the top classes of each image") { name, images, version, alias, top };
        command.SetAction(async (result, _) =>
        {
            using var runtime = new ModelRuntime(LeptonCommand.Registry(result, store), new InferenceOptions { Batching = false });
            return await RunAsync(result.GetValue(name)!, result.GetValue(images)!, result.GetValue(version), result.GetValue(alias), result.GetValue(top), runtime, Console.Out).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<int> RunAsync(string name, IReadOnlyList<string> images, int? version, string? alias, int top, ModelRuntime runtime, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(output);
        int resolved = await runtime.ResolveAsync(name, version, alias).ConfigureAwait(false);
        var model = await runtime.GetAsync(name, resolved).ConfigureAwait(false);
        await output.WriteLineAsync($"{name} version {resolved}").ConfigureAwait(false);
        foreach (string path in images)
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
