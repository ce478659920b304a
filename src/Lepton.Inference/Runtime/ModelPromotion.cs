using Lepton.Core.Registry;
using Lepton.Inference.Decoding;

namespace Lepton.Inference.Runtime;

/// <summary>
/// The one promotion policy, used by the HTTP route, <c>lepton models promote</c> and the pipeline's gate:
/// an alias moves only to a version that would be served (its file matches the manifest, ONNX Runtime
/// loads it and its signature fits), and, when the caller decided against the version the alias pointed
/// to (<paramref name="expected"/>), only if it still points there (compare-and-swap).
/// </summary>
public static class ModelPromotion
{
    /// <summary>
    /// Verifies <paramref name="version"/> with <paramref name="runtime"/> (a server's, so the promoted model
    /// is also warm) or, when null, a runtime of its own that is disposed afterwards; then sets the alias.
    /// </summary>
    /// <exception cref="InputException">The version would not be served (<see cref="InputProblem.Conflict"/>).</exception>
    /// <exception cref="AliasMovedException">The alias no longer points where <paramref name="expected"/> says.</exception>
    public static async Task<AliasDocument> PromoteAsync(
        ModelRegistry registry, string name, string alias, int version, AliasExpectation expected, ModelRuntime? runtime = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        RegistryNames.ValidateModelName(name);
        RegistryNames.ValidateAlias(alias);
        var own = runtime is null ? new ModelRuntime(registry, new InferenceOptions { Batching = false }) : null;
        try
        {
            await VerifyAsync(runtime ?? own!, name, version, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            own?.Dispose();
        }

        return await registry.SetAliasAsync(name, alias, version, expected, cancellationToken).ConfigureAwait(false);
    }

    private static async Task VerifyAsync(ModelRuntime runtime, string name, int version, CancellationToken cancellationToken)
    {
        try
        {
            _ = await runtime.GetAsync(name, version, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ModelIntegrityException or InvalidDataException)
        {
            throw new InputException(InputProblem.Conflict, $"version {version} cannot be promoted: {ex.Message}");
        }
    }
}
