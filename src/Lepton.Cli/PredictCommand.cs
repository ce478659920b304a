using System.CommandLine;
using System.Globalization;
using Lepton.CommandLine;
using Lepton.Inference;
using Lepton.Inference.Decoding;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;

namespace Lepton.Cli;

/// <summary><c>lepton predict &lt;name&gt; &lt;input...&gt;</c>: a quick check from a shell, in process (images; texts; JSON rows).</summary>
public static class PredictCommand
{
    public static Command Create(Option<string?> store)
    {
        var name = CliOptions.Positional<string>("name", "the model", ArgumentArity.ExactlyOne);
        var images = CliOptions.Positional<string[]>("inputs", "PNG or JPEG files; for a text model, texts; for a table model, rows as JSON objects ('{\"age\": 40, \"city\": \"north\"}')", ArgumentArity.OneOrMore);
        var version = CliOptions.Whole("--version", "a version", "the alias's", 1);
        var alias = CliOptions.Optional("--alias", "alias", "an alias, when no --version", "production, else the latest version");
        var top = CliOptions.Whole("--top", "how many classes to show", 3, 1);
        var command = new Command("predict", "a quick check from a shell, in process: the top classes of each image, text or row") { name, images, version, alias, top };
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
        string Label(int c) => c < model.Signature.Output.Labels.Count ? model.Signature.Output.Labels[c] : c.ToString(CultureInfo.InvariantCulture);
        if (RowRequests.Takes(model))
        {
            foreach (string input in images)
            {
                var batch = model.Tokenizer is not null
                    ? RowRequests.Texts([input], model)
                    : RowRequests.ParsePredict(System.Text.Encoding.UTF8.GetBytes($"{{\"instances\": [{input}]}}"), null, model, 1);
                float[] scores = Scores.Softmax(await RowRequests.ScoreAsync(model, batch, CancellationToken.None).ConfigureAwait(false), model.Classes);
                var top3 = Scores.TopK(scores, Math.Min(top, model.Classes));
                string shown = input.Length <= 60 ? input : string.Concat(input.AsSpan(0, 59), "…");
                await output.WriteLineAsync($"{shown}: {string.Join(", ", top3.Select(c => $"{Label(c)} {scores[c]:P1}"))}").ConfigureAwait(false);
            }

            return 0;
        }

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
            await output.WriteLineAsync($"{path}: {string.Join(", ", best.Select(c => $"{Label(c)} {probabilities[c]:P1}"))}").ConfigureAwait(false);
        }

        return 0;
    }
}
