using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;

namespace Lepton.Inference.Http;

/// <summary>
/// What readiness checks beyond "the registry answers": every model's alias document is readable and its
/// production alias points at a version whose manifest and model file are there and that has not just
/// failed to load. Reads two small files per model; loads nothing.
/// </summary>
public static class Readiness
{
    public sealed record BrokenModel(string Model, string Error);

    public static async Task<IReadOnlyList<BrokenModel>> BrokenModelsAsync(ModelRuntime runtime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var registry = runtime.Registry;
        var broken = new List<BrokenModel>();
        foreach (string name in await registry.ListModelsAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var aliases = await registry.GetAliasesAsync(name, cancellationToken).ConfigureAwait(false);
                if (!aliases.Aliases.TryGetValue(ModelRegistry.DefaultAlias, out int version))
                {
                    continue; // no production alias: nothing promised
                }

                _ = await registry.GetManifestAsync(name, version, cancellationToken).ConfigureAwait(false);
                if (await registry.Store.GetInfoAsync(ModelRegistry.ModelPath(name, version), cancellationToken).ConfigureAwait(false) is null)
                {
                    broken.Add(new BrokenModel(name, $"production is version {version}, whose model file is missing"));
                }
                else if (runtime.RecentFailure(name, version) is string failure)
                {
                    broken.Add(new BrokenModel(name, failure));
                }
            }
            catch (RegistryDataException ex)
            {
                broken.Add(new BrokenModel(name, ex.Message));
            }
            catch (ModelNotFoundException ex)
            {
                broken.Add(new BrokenModel(name, $"production points at a missing version: {ex.Message}"));
            }
        }

        return broken;
    }
}
