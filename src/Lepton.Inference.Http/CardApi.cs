using Lepton.Core.Cards;
using Lepton.Core.Registry;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lepton.Inference.Http;

/// <summary>
/// <c>GET /api/models/{name}/versions/{v}/card</c> and <c>.../card/{image}</c>: a version's model card,
/// read from the registry (made when the version was published). Read-only, anonymous, like the model metadata.
/// </summary>
public sealed class CardApi(ModelRuntime runtime, ILogger<CardApi> logger)
{
    private ModelRegistry Registry => runtime.Registry;

    public Task GetCardAsync(HttpContext context, string name, string version) => ApiErrors.RunAsync(context, logger, async () =>
    {
        ArgumentNullException.ThrowIfNull(context);
        var (v, card) = await ReadCardAsync(name, version, context.RequestAborted).ConfigureAwait(false);
        await InferenceApi.WriteObjectAsync(context, 200, CardDocument.Render(name, v, card)).ConfigureAwait(false);
    });

    public Task GetImageAsync(HttpContext context, string name, string version, string image) => ApiErrors.RunAsync(context, logger, async () =>
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.RequestAborted;
        var (v, card) = await ReadCardAsync(name, version, ct).ConfigureAwait(false);
        if (!card.Images.Contains(image, StringComparer.Ordinal))
        {
            throw new ModelNotFoundException($"the card of model '{name}' version {v} has no image '{image}' (it has: {string.Join(", ", card.Images)})");
        }

        var data = await Registry.GetCardFileAsync(name, v, image, ct).ConfigureAwait(false)
            ?? throw new RegistryDataException($"the card of model '{name}' version {v} lists '{image}', but the file is missing");
        context.Response.StatusCode = 200;
        context.Response.ContentType = "image/png";
        context.Response.Headers.CacheControl = "public, max-age=3600"; // versions are immutable
        var bytes = data.ToMemory();
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
    });

    private async Task<(int Version, ModelCard Card)> ReadCardAsync(string name, string version, CancellationToken ct)
    {
        RegistryNames.ValidateModelName(name);
        int v = InferenceApi.ParseVersion(version) ?? throw new InputException(InputProblem.Invalid, "version is required");
        var card = await Registry.GetCardAsync(name, v, ct).ConfigureAwait(false);
        if (card is null)
        {
            _ = await Registry.GetManifestAsync(name, v, ct).ConfigureAwait(false); // 404 for a version that does not exist
            throw new ModelNotFoundException($"model '{name}' version {v} has no model card (it was published without one)");
        }

        return (v, card);
    }
}
