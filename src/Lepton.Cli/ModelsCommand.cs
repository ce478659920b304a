using System.CommandLine;
using Lepton.Cards;
using Lepton.CommandLine;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;

namespace Lepton.Cli;

/// <summary><c>lepton models publish|list|show|promote|card</c>.</summary>
public static class ModelsCommand
{
    public static Command Create(Option<string?> store)
    {
        var command = new Command("models", "the model registry: publish, list, show, promote, card");
        command.Subcommands.Add(Publish(store));
        command.Subcommands.Add(List(store));
        command.Subcommands.Add(Show(store));
        command.Subcommands.Add(Promote(store));
        command.Subcommands.Add(CardCommand.Create(store));
        return command;
    }

    private static Command Publish(Option<string?> store)
    {
        var name = CliOptions.Required("--name", "name", "the model's name");
        var model = CliOptions.Optional("--model", "model.onnx", "the model file", "the --run folder's model.onnx");
        var run = CliOptions.Optional("--run", "folder", "a trainer output folder: its model, metrics, history and labels", "none");
        var data = CliOptions.Optional("--data", "folder", "the dataset folder, for the model card's images of mistakes", "none");
        var command = new Command("publish", "publish a model as a new version, with its model card") { name, model, run, data };
        command.SetAction((result, _) => PublishAsync(result.GetValue(name)!, result.GetValue(model), result.GetValue(run), result.GetValue(data), LeptonCommand.Registry(result, store), Console.Out));
        return command;
    }

    private static Command List(Option<string?> store)
    {
        var command = new Command("list", "the models, their latest versions and aliases");
        command.SetAction(async (result, cancellationToken) =>
        {
            var registry = LeptonCommand.Registry(result, store);
            foreach (string name in await registry.ListModelsAsync(cancellationToken).ConfigureAwait(false))
            {
                var versions = await registry.ListVersionsAsync(name, cancellationToken).ConfigureAwait(false);
                var aliases = await registry.GetAliasesAsync(name, cancellationToken).ConfigureAwait(false);
                string aliasText = string.Join(", ", aliases.Aliases.Select(a => $"{a.Key}={a.Value}"));
                await Console.Out.WriteLineAsync($"{name}\tlatest {versions[^1]}\t{versions.Count} version(s)\t{aliasText}").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static Command Show(Option<string?> store)
    {
        var name = CliOptions.Positional<string>("name", "the model", ArgumentArity.ExactlyOne);
        var command = new Command("show", "a model's versions and aliases, as JSON") { name };
        command.SetAction(async (result, cancellationToken) =>
        {
            var details = await LeptonCommand.Registry(result, store).GetModelAsync(result.GetValue(name)!, cancellationToken).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(LeptonJson.Serialize(details)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Promote(Option<string?> store)
    {
        var name = CliOptions.Positional<string>("name", "the model", ArgumentArity.ExactlyOne);
        var version = CliOptions.Version("the version to point the alias at", ArgumentArity.ExactlyOne);
        var alias = CliOptions.Text("--alias", "alias", "the alias to set", ModelRegistry.DefaultAlias);
        var command = new Command("promote", "point an alias at a version (it must load, as the API checks)") { name, version, alias };
        command.SetAction(async (result, cancellationToken) =>
        {
            var registry = LeptonCommand.Registry(result, store);
            string model = result.GetValue(name)!;
            int target = result.GetValue(version)!.Value;
            string aliasName = result.GetValue(alias)!;
            var updated = await ModelPromotion.PromoteAsync(registry, model, aliasName, target, AliasExpectation.Any, cancellationToken: cancellationToken).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"{model}: {aliasName} -> version {target} ({string.Join(", ", updated.Aliases.Select(a => $"{a.Key}={a.Value}"))})").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static async Task<int> PublishAsync(string name, string? model, string? run, string? data, ModelRegistry registry, TextWriter output)
    {
        RegistryNames.ValidateModelName(name);
        string modelPath = model ?? (run is not null ? new RunFolder(run).ModelPath : throw new UsageException("--model (or --run) is required"));
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

        var card = ModelCardMaker.Make(new CardSource(bytes, description, run, data));
        await using var stream = new MemoryStream(bytes, writable: false);
        var manifest = await registry.PublishAsync(name, stream, description, card.Files).ConfigureAwait(false);
        await output.WriteLineAsync($"published {manifest.Name} version {manifest.Version} (sha256 {manifest.Sha256[..12]}..., {manifest.SizeBytes} bytes)").ConfigureAwait(false);
        await output.WriteLineAsync($"model card: {string.Join(", ", card.Card.Images)}{(card.Card.Missing.Count > 0 ? "; missing: " + string.Join("; ", card.Card.Missing) : string.Empty)}").ConfigureAwait(false);
        return 0;
    }
}
