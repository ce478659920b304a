using System.Globalization;
using Lepton.Cards;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;

namespace Lepton.Cli;

/// <summary><c>lepton models publish|list|show|promote|card</c>.</summary>
public static class ModelsCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> rest, ModelRegistry registry, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(output);
        if (rest.Count == 0)
        {
            throw new UsageException("models needs a subcommand: publish, list, show, promote, card");
        }

        var args = new CliArgs(rest.Skip(1).ToArray(), new HashSet<string> { "--name", "--model", "--run", "--alias", "--out", "--data" });
        switch (rest[0])
        {
            case "publish":
                return await PublishAsync(args, registry, output).ConfigureAwait(false);
            case "list":
                foreach (string name in await registry.ListModelsAsync().ConfigureAwait(false))
                {
                    var versions = await registry.ListVersionsAsync(name).ConfigureAwait(false);
                    var aliases = await registry.GetAliasesAsync(name).ConfigureAwait(false);
                    string aliasText = string.Join(", ", aliases.Aliases.Select(a => $"{a.Key}={a.Value}"));
                    await output.WriteLineAsync($"{name}\tlatest {versions[^1]}\t{versions.Count} version(s)\t{aliasText}").ConfigureAwait(false);
                }

                return 0;
            case "show":
            {
                var details = await registry.GetModelAsync(Single(args, "models show <name>")).ConfigureAwait(false);
                await output.WriteLineAsync(LeptonJson.Serialize(details)).ConfigureAwait(false);
                return 0;
            }

            case "promote":
            {
                if (args.Positional.Count != 2 || !int.TryParse(args.Positional[1], NumberStyles.None, CultureInfo.InvariantCulture, out int version))
                {
                    throw new UsageException("usage: models promote <name> <version> [--alias production]");
                }

                string alias = args.Get("--alias") ?? ModelRegistry.DefaultAlias;
                var updated = await ModelPromotion.PromoteAsync(registry, args.Positional[0], alias, version, AliasExpectation.Any).ConfigureAwait(false);
                await output.WriteLineAsync($"{args.Positional[0]}: {alias} -> version {version} ({string.Join(", ", updated.Aliases.Select(a => $"{a.Key}={a.Value}"))})").ConfigureAwait(false);
                return 0;
            }

            case "card":
                return await CardCommand.RunAsync(args, registry, output).ConfigureAwait(false);

            default:
                throw new UsageException($"unknown models subcommand '{rest[0]}' (publish, list, show, promote)");
        }
    }

    private static async Task<int> PublishAsync(CliArgs args, ModelRegistry registry, TextWriter output)
    {
        string name = args.Require("--name");
        RegistryNames.ValidateModelName(name);
        string? run = args.Get("--run");
        string modelPath = args.Get("--model") ?? (run is not null ? new RunFolder(run).ModelPath : throw new UsageException("--model (or --run) is required"));
        if (!File.Exists(modelPath))
        {
            throw new UsageException($"model file not found: {modelPath}");
        }

        byte[] bytes = await File.ReadAllBytesAsync(modelPath).ConfigureAwait(false);
        var description = ModelInspector.Describe(bytes);
        if (run is not null)
        {
            string metricsPath = new RunFolder(run).MetricsPath;
            if (!File.Exists(metricsPath))
            {
                throw new UsageException($"--run: {metricsPath} not found (a trainer output folder has it)");
            }

            var metrics = RunMetrics.Parse(await File.ReadAllTextAsync(metricsPath).ConfigureAwait(false), metricsPath);
            description = metrics.Describe(description, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(run))), null);
        }

        var card = ModelCardMaker.Make(new CardSource(bytes, description, run, args.Get("--data")));
        await using var stream = new MemoryStream(bytes, writable: false);
        var manifest = await registry.PublishAsync(name, stream, description, card.Files).ConfigureAwait(false);
        await output.WriteLineAsync($"published {manifest.Name} version {manifest.Version} (sha256 {manifest.Sha256[..12]}..., {manifest.SizeBytes} bytes)").ConfigureAwait(false);
        await output.WriteLineAsync($"model card: {string.Join(", ", card.Card.Images)}{(card.Card.Missing.Count > 0 ? "; missing: " + string.Join("; ", card.Card.Missing) : string.Empty)}").ConfigureAwait(false);
        return 0;
    }

    private static string Single(CliArgs args, string usage) =>
        args.Positional.Count == 1 ? args.Positional[0] : throw new UsageException($"usage: {usage}");
}
