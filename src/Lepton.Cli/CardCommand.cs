using System.Globalization;
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
    public static async Task<int> RunAsync(CliArgs args, ModelRegistry registry, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Positional.Count is < 1 or > 2)
        {
            throw new UsageException("usage: models card <name> [<version>] --out <folder>");
        }

        string name = args.Positional[0];
        RegistryNames.ValidateModelName(name);
        int? requested = null;
        if (args.Positional.Count == 2)
        {
            requested = int.TryParse(args.Positional[1], NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1
                ? v
                : throw new UsageException($"version must be a positive whole number, not '{args.Positional[1]}'");
        }

        string outDir = args.Require("--out");
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
