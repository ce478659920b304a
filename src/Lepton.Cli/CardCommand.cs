using System.CommandLine;
using Lepton.CommandLine;
using Lepton.Core.Cards;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;

namespace Lepton.Cli;

/// <summary>
/// <c>lepton models card NAME [VERSION] --out DIR</c>: writes a version's card.json (as the API shows it)
/// and its images. Default version: the production alias, else the latest.
/// </summary>
public static class CardCommand
{
    public static Command Create(Option<string?> store)
    {
        var name = CliOptions.Positional<string>("name", "the model", ArgumentArity.ExactlyOne);
        var version = CliOptions.Version("the version [default: production, else the latest]", ArgumentArity.ZeroOrOne);
        var outDir = CliOptions.Required("--out", "folder", "where card.json and its images go");
        var command = new Command("card", "write a version's model card (card.json and its images) to a folder") { name, version, outDir };
        command.SetAction((result, _) => RunAsync(result.GetValue(name)!, result.GetValue(version), result.GetValue(outDir)!, LeptonCommand.Registry(result, store), Console.Out));
        return command;
    }

    public static async Task<int> RunAsync(string name, int? requested, string outDir, ModelRegistry registry, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(output);
        RegistryNames.ValidateModelName(name);
        int version = requested ?? await DefaultVersionAsync(registry, name).ConfigureAwait(false);
        var card = await registry.GetCardAsync(name, version).ConfigureAwait(false);
        if (card is null)
        {
            _ = await registry.GetManifestAsync(name, version).ConfigureAwait(false);
            throw new ModelNotFoundException($"model '{name}' version {version} has no model card (it was published without one)");
        }

        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, CardFiles.CardFile), CardDocument.Render(name, version, card).ToJsonString(LeptonJson.Options)).ConfigureAwait(false);
        foreach (string image in card.Images)
        {
            var data = await registry.GetCardFileAsync(name, version, image).ConfigureAwait(false)
                ?? throw new RegistryDataException($"the card of model '{name}' version {version} lists '{image}', but the file is missing");
            await File.WriteAllBytesAsync(Path.Combine(outDir, image), data.ToArray()).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"{name} version {version}: {CardFiles.CardFile}{string.Concat(card.Images.Select(i => ", " + i))} in {outDir}").ConfigureAwait(false);
        foreach (string missing in card.Missing)
        {
            await output.WriteLineAsync($"  missing: {missing}").ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> DefaultVersionAsync(ModelRegistry registry, string name)
    {
        var aliases = await registry.GetAliasesAsync(name).ConfigureAwait(false);
        if (aliases.Aliases.TryGetValue(ModelRegistry.DefaultAlias, out int production))
        {
            return production;
        }

        var versions = await registry.ListVersionsAsync(name).ConfigureAwait(false);
        return versions.Count > 0 ? versions[^1] : throw new ModelNotFoundException($"model '{name}' not found");
    }
}
