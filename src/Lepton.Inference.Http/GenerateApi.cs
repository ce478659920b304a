using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lepton.Inference.Http;

/// <summary>
/// <c>POST /api/models/{name}/generate</c> on a generator: <c>{"count": n, "seed": s}</c> (or
/// <c>{"latents": [[...], ...]}</c>) gives a PNG grid of n generated images (the default, <c>Accept: image/png</c>)
/// or, with <c>Accept: application/json</c>, the images as JSON. n is at most <see cref="MaxCount"/>.
/// Classifier routes refuse generators and this route refuses classifiers, saying what the model is.
/// </summary>
public sealed class GenerateApi(ModelRuntime runtime, ILogger<GenerateApi> logger)
{
    public const int MaxCount = 64;
    public const int DefaultCount = 16;

    /// <summary>Whether a loaded model is a generator (its signature says).</summary>
    public static bool IsGenerator(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Signature.Kind == ModelKind.Generator;
    }

    /// <summary>The output shape of <paramref name="count"/> inputs: [count, classes] or [count, C, H, W].</summary>
    public static int[] OutputShape(LoadedModel model, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [count, .. model.OutputShape.Skip(1).Select(d => Math.Max(d, 1))];
    }

    /// <summary>Refuses (400) a generator on a classifier route.</summary>
    public static void RequireClassifier(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (IsGenerator(model))
        {
            throw new InputException(InputProblem.Invalid,
                $"model '{model.Manifest.Name}' version {model.Manifest.Version} is a generator (input '{model.InputName}' [N,{model.ImageValues}]), " +
                $"not a classifier: use POST /api/models/{model.Manifest.Name}/generate");
        }
    }

    public Task GenerateAsync(HttpContext context, string name) => ApiErrors.RunAsync(context, logger, async () =>
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.RequestAborted;
        RegistryNames.ValidateModelName(name);
        var (versionQuery, alias) = InferenceApi.VersionOrAlias(context.Request);
        bool json = WantsJson(context.Request);
        byte[] body = await RequestBody.ReadAsync(context.Request, runtime.Options.MaxRequestBytes, ct).ConfigureAwait(false);
        string? mediaType = RequestBody.MediaType(context.Request);
        if (mediaType is not (null or "application/json"))
        {
            throw new InputException(InputProblem.UnsupportedMediaType, $"content type '{mediaType}' is not supported: send application/json");
        }

        int version = await runtime.ResolveAsync(name, versionQuery, alias, ct).ConfigureAwait(false);
        await runtime.UseAsync(name, version, async model =>
        {
            if (!IsGenerator(model))
            {
                throw new InputException(InputProblem.Invalid,
                    $"model '{name}' version {version} is a classifier (input '{model.InputName}', {model.Classes} classes), not a generator: " +
                    $"use POST /api/models/{name}/predict");
            }

            int latentSize = model.ImageValues;
            var (latents, count, seed) = ReadRequest(body, latentSize);
            float[] images = await model.PredictAsync(latents, count, ct).ConfigureAwait(false);
            int[] shape = OutputShape(model, count);
            if (json)
            {
                await InferenceApi.WriteJsonAsync(context, 200, writer =>
                {
                    writer.WriteString("model", name);
                    writer.WriteNumber("version", version);
                    if (seed is int s)
                    {
                        writer.WriteNumber("seed", s);
                    }

                    writer.WriteStartArray("shape");
                    foreach (int d in shape)
                    {
                        writer.WriteNumberValue(d);
                    }

                    writer.WriteEndArray();
                    writer.WriteStartArray("images");
                    int per = images.Length / count;
                    for (int i = 0; i < count; i++)
                    {
                        writer.WriteStartArray();
                        foreach (float v in images.AsSpan(i * per, per))
                        {
                            writer.WriteNumberValue(v);
                        }

                        writer.WriteEndArray();
                    }

                    writer.WriteEndArray();
                }).ConfigureAwait(false);
            }
            else
            {
                byte[] png = ImageGrid.ToPng(images, count, shape[1], shape[2], shape[3]);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "image/png";
                context.Response.ContentLength = png.Length;
                await context.Response.Body.WriteAsync(png, ct).ConfigureAwait(false);
            }

            return true;
        }, ct).ConfigureAwait(false);
    });

    private static bool WantsJson(HttpRequest request)
    {
        string accept = request.Headers.Accept.ToString();
        int jsonAt = accept.IndexOf("application/json", StringComparison.OrdinalIgnoreCase);
        int pngAt = accept.IndexOf("image/png", StringComparison.OrdinalIgnoreCase);
        return jsonAt >= 0 && (pngAt < 0 || jsonAt < pngAt);
    }

    /// <summary>The latent vectors a request asks for: explicit <c>latents</c>, or <c>count</c> from <c>seed</c>.</summary>
    private static (float[] Latents, int Count, int? Seed) ReadRequest(byte[] body, int latentSize)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InputException(InputProblem.Invalid, "the body must be a JSON object {\"count\": n, \"seed\": s} or {\"latents\": [[...], ...]}");
        }

        if (root.TryGetProperty("latents", out var rows))
        {
            if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() is 0)
            {
                throw new InputException(InputProblem.Invalid, "latents must be a non-empty array of vectors");
            }

            int n = rows.GetArrayLength();
            CheckCount(n);
            var values = new float[n * latentSize];
            int row = 0;
            foreach (var vector in rows.EnumerateArray())
            {
                if (vector.ValueKind != JsonValueKind.Array || vector.GetArrayLength() != latentSize)
                {
                    throw new InputException(InputProblem.Invalid, $"latent vector {row} must be an array of {latentSize} numbers");
                }

                int i = 0;
                foreach (var value in vector.EnumerateArray())
                {
                    values[(row * latentSize) + i++] = value.ValueKind == JsonValueKind.Number
                        ? value.GetSingle()
                        : throw new InputException(InputProblem.Invalid, $"latent vector {row} holds a non-number");
                }

                row++;
            }

            return (values, n, null);
        }

        int count = DefaultCount;
        if (root.TryGetProperty("count", out var c))
        {
            count = c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out int parsed)
                ? parsed
                : throw new InputException(InputProblem.Invalid, "count must be a whole number");
        }

        CheckCount(count);
        int seed = root.TryGetProperty("seed", out var s)
            ? s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int given) ? given : throw new InputException(InputProblem.Invalid, "seed must be a whole number")
            : Random.Shared.Next();
        return (OnnxGenerator.Latents(count, latentSize, seed), count, seed);
    }

    private static void CheckCount(int count)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new InputException(InputProblem.Invalid, $"count must be between 1 and {MaxCount}, not {count}");
        }
    }
}
