using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Inference.Http;

/// <summary>An alias moves only to a version that would be served: its file matches the manifest and ONNX Runtime loads it.</summary>
public static class Promotion
{
    public static async Task VerifyAsync(ModelRuntime runtime, string name, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        try
        {
            _ = await runtime.GetAsync(name, version, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelIntegrityException ex)
        {
            throw new InputException(InputProblem.Conflict, $"version {version} cannot be promoted: {ex.Message}");
        }
    }
}
