using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lepton.Core.Contracts;

namespace Lepton.Core.Cards;

/// <summary>
/// A stored card as the API shows it (<c>GET /api/models/{name}/versions/{v}/card</c>) and
/// <c>lepton models card</c> writes it: the model's name and version first, the images as addresses.
/// </summary>
public static class CardDocument
{
    /// <summary>Where an image of a card is served.</summary>
    public static string ImageRoute(string name, int version, string file) =>
        $"/api/models/{name}/versions/{version.ToString(CultureInfo.InvariantCulture)}/card/{file}";

    public static JsonObject Render(string name, int version, ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var stored = JsonSerializer.SerializeToNode(card, LeptonJson.Options)!.AsObject();
        var document = new JsonObject
        {
            ["model"] = name,
            ["version"] = version,
            ["kind"] = stored["kind"]?.DeepClone(),
            ["architecture"] = card.Architecture,
            ["parameters"] = card.Parameters,
            ["dataset"] = stored["dataset"]?.DeepClone(),
            ["training"] = stored["training"]?.DeepClone(),
        };
        if (card.Metrics is not null)
        {
            document["metrics"] = stored["metrics"]!.DeepClone();
        }

        var images = new JsonObject();
        foreach (string file in card.Images)
        {
            images[CardFiles.ImageKey(file)] = ImageRoute(name, version, file);
        }

        document["images"] = images;
        if (card.Quality is not null)
        {
            document["quality"] = stored["quality"]!.DeepClone();
        }

        if (card.Mistakes is not null)
        {
            document["mistakes"] = stored["mistakes"]!.DeepClone();
        }

        if (card.ColumnImportance is not null)
        {
            document["columnImportance"] = stored["columnImportance"]!.DeepClone();
        }

        if (card.Sweep is not null)
        {
            document["sweep"] = stored["sweep"]!.DeepClone();
        }

        document["missing"] = stored["missing"]!.DeepClone();
        return document;
    }
}
