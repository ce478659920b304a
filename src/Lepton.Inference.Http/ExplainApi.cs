using Lepton.Core.Registry;
using Lepton.Inference;
using Lepton.Inference.Decoding;
using Lepton.Inference.Explain;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lepton.Inference.Http;

/// <summary>
/// <c>POST /api/models/{name}/explain[?version=|?alias=][&amp;patch=4&amp;stride=2]</c>: one image (as predict
/// takes it), its prediction and an occlusion-sensitivity heatmap; JSON, or with <c>Accept: image/png</c>
/// the image (gray or in colour) under the heatmap, enlarged (8x for 28x28, about 224 pixels a side for larger models).
/// </summary>
public sealed class ExplainApi(ModelRuntime runtime, InferenceApi predict, ILogger<ExplainApi> logger)
{
    public const int Top = 3;

    public Task ExplainAsync(HttpContext context, string name) => ApiErrors.RunAsync(context, logger, async () =>
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.RequestAborted;
        RegistryNames.ValidateModelName(name);
        var (versionQuery, alias) = InferenceApi.VersionOrAlias(context.Request);
        int patch = InferenceApi.QueryInt(context.Request, "patch") ?? Occlusion.DefaultPatch;
        int stride = InferenceApi.QueryInt(context.Request, "stride") ?? Occlusion.DefaultStride;
        bool png = WantsPng(context.Request);
        byte[] body = await RequestBody.ReadAsync(context.Request, runtime.Options.MaxRequestBytes, ct).ConfigureAwait(false);
        string? mediaType = RequestBody.MediaType(context.Request);
        int version = await runtime.ResolveAsync(name, versionQuery, alias, ct).ConfigureAwait(false);
        await runtime.UseAsync(name, version, async model =>
        {
            GenerateApi.RequireClassifier(model);
            if (RowRequests.Takes(model))
            {
                var explained = await RowExplain.ExplainAsync(body, mediaType, model, runtime.Options.MaxImagesPerRequest, ct).ConfigureAwait(false);
                await InferenceApi.WriteJsonAsync(context, 200, writer =>
                {
                    writer.WriteString("model", name);
                    writer.WriteNumber("version", version);
                    WritePrediction(writer, model, explained.Index, explained.Probabilities);
                    RowExplain.WriteWeights(writer, explained);
                }).ConfigureAwait(false);
                return true;
            }

            var shape = model.ImageInput.Shape;
            int height = shape.Height, width = shape.Width;

            Occlusion.CopiesFor(height, width, patch, stride, shape.Channels); // refuse bad bounds before decoding
            var (pixels, count) = await predict.DecodePredictBodyAsync(body, mediaType, model, ct).ConfigureAwait(false);
            if (count != 1)
            {
                throw new InputException(InputProblem.Invalid, $"explain takes one image, not {count}");
            }

            var saliency = Occlusion.Explain((batch, n) =>
            {
                float[] scores = model.Run(batch, n);
                Scores.EnsureFinite(scores);
                return scores;
            }, pixels, height, width, patch, stride, shape.Channels);
            if (png)
            {
                byte[] image = SaliencyImage.ToPng(pixels, saliency.Heatmap, height, width, shape.Channels);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "image/png";
                context.Response.ContentLength = image.Length;
                await context.Response.Body.WriteAsync(image, ct).ConfigureAwait(false);
                return true;
            }

            await InferenceApi.WriteJsonAsync(context, 200, writer =>
            {
                writer.WriteString("model", name);
                writer.WriteNumber("version", version);
                WritePrediction(writer, model, saliency.Index, saliency.Probabilities);
                writer.WriteNumber("patch", patch);
                writer.WriteNumber("stride", stride);
                writer.WriteStartArray("heatmap");
                for (int y = 0; y < height; y++)
                {
                    writer.WriteStartArray();
                    for (int x = 0; x < width; x++)
                    {
                        writer.WriteNumberValue(Math.Round(saliency.Heatmap[(y * width) + x], 4));
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
            }).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
    });

    /// <summary>The explained prediction: its label, index and probability, and the top classes.</summary>
    private static void WritePrediction(System.Text.Json.Utf8JsonWriter writer, LoadedModel model, int index, float[] probabilities)
    {
        var labels = model.Signature.Output.Labels;
        string Label(int c) => c < labels.Count ? labels[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString("label", Label(index));
        writer.WriteNumber("index", index);
        writer.WriteNumber("probability", probabilities[index]);
        writer.WriteStartArray("top");
        foreach (int c in Scores.TopK(probabilities, Math.Min(Top, probabilities.Length)))
        {
            writer.WriteStartObject();
            writer.WriteString("label", Label(c));
            writer.WriteNumber("index", c);
            writer.WriteNumber("probability", probabilities[c]);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>A PNG only when asked for it before (or without) JSON.</summary>
    private static bool WantsPng(HttpRequest request)
    {
        string accept = request.Headers.Accept.ToString();
        int jsonAt = accept.IndexOf("application/json", StringComparison.OrdinalIgnoreCase);
        int pngAt = accept.IndexOf("image/png", StringComparison.OrdinalIgnoreCase);
        return pngAt >= 0 && (jsonAt < 0 || pngAt < jsonAt);
    }
}
