using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Inference;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lepton.Inference.Http;

/// <summary>
/// The HTTP surface, independent of the host: each method handles one route given the request and its
/// route values, writes JSON, and turns every client mistake into a 4xx <c>{"error": "..."}</c>. The
/// Functions app and <c>lepton serve</c> are thin adapters over these methods.
/// </summary>
public sealed class InferenceApi(ModelRuntime runtime, ILogger<InferenceApi> logger)
{
    public const string ServerName = "lepton";
    public const string Platform = "onnxruntime_onnx";
    public const string ProbabilitiesOutput = "probabilities";

    private static readonly string ServerVersion = typeof(InferenceApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private InferenceOptions Options => runtime.Options;

    private ModelRegistry Registry => runtime.Registry;

    // ---- Lepton routes ------------------------------------------------------------------------------

    /// <summary><c>POST /api/models/{name}/predict[?version=|?alias=][&amp;top=k]</c>: a PNG/JPEG body or JSON <c>{"instances": [...]}</c>.</summary>
    public Task PredictAsync(HttpContext context, string name) => ApiErrors.RunAsync(context, logger, async () =>
    {
        var ct = context.RequestAborted;
        RegistryNames.ValidateModelName(name);
        var (versionQuery, alias) = VersionOrAlias(context.Request);
        int? topQuery = QueryInt(context.Request, "top");
        byte[] body = await RequestBody.ReadAsync(context.Request, Options.MaxRequestBytes, ct).ConfigureAwait(false);
        string? mediaType = RequestBody.MediaType(context.Request);
        int version = await runtime.ResolveAsync(name, versionQuery, alias, ct).ConfigureAwait(false);
        await runtime.UseAsync(name, version, async model =>
        {
            int top = topQuery ?? Math.Min(3, model.Classes); // a two-class model answers its two by default
            if (top < 1 || top > model.Classes)
            {
                throw new InputException(InputProblem.Invalid, $"top must be between 1 and {model.Classes}");
            }

            GenerateApi.RequireClassifier(model);
            var (logits, count) = await ScoreBodyAsync(body, mediaType, model, ct).ConfigureAwait(false);
            float[] probabilities = Scores.Softmax(logits, model.Classes);
            await WriteJsonAsync(context, 200, writer =>
            {
                writer.WriteString("model", name);
                writer.WriteNumber("version", version);
                writer.WriteStartArray("predictions");
                for (int i = 0; i < count; i++)
                {
                    var row = probabilities.AsSpan(i * model.Classes, model.Classes);
                    int[] best = Scores.TopK(row, top);
                    writer.WriteStartObject();
                    WriteClass(writer, model, best[0], row[best[0]]);
                    writer.WriteStartArray("top");
                    foreach (int c in best)
                    {
                        writer.WriteStartObject();
                        WriteClass(writer, model, c, row[c]);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
    });

    /// <summary><c>GET /api/models</c>: every model with its latest version and aliases.</summary>
    public Task ListModelsAsync(HttpContext context) => ApiErrors.RunAsync(context, logger, async () =>
    {
        var ct = context.RequestAborted;
        var names = await Registry.ListModelsAsync(ct).ConfigureAwait(false);
        var models = new List<object>();
        foreach (string name in names)
        {
            var versions = await Registry.ListVersionsAsync(name, ct).ConfigureAwait(false);
            try
            {
                var aliases = await Registry.GetAliasesAsync(name, ct).ConfigureAwait(false);
                models.Add(new { name, latestVersion = versions.Count > 0 ? versions[^1] : 0, versions = versions.Count, aliases = aliases.Aliases });
            }
            catch (RegistryDataException ex)
            {
                models.Add(new { name, latestVersion = versions.Count > 0 ? versions[^1] : 0, versions = versions.Count, error = ex.Message }); // this model only
            }
        }

        await WriteObjectAsync(context, 200, new { models }).ConfigureAwait(false);
    });

    /// <summary><c>GET /api/models/{name}</c>: aliases, alias history and every version's manifest.</summary>
    public Task GetModelAsync(HttpContext context, string name) => ApiErrors.RunAsync(context, logger, async () =>
    {
        var details = await Registry.GetModelAsync(name, context.RequestAborted).ConfigureAwait(false);
        await WriteObjectAsync(context, 200, details).ConfigureAwait(false);
    });

    /// <summary><c>PUT /api/models/{name}/aliases/{alias}</c> with <c>{"version": n}</c> (admin): promote or roll back.</summary>
    public Task SetAliasAsync(HttpContext context, string name, string alias) => ApiErrors.RunAsync(context, logger, async () =>
    {
        var ct = context.RequestAborted;
        RegistryNames.ValidateModelName(name);
        RegistryNames.ValidateAlias(alias);
        byte[] body = await RequestBody.ReadAsync(context.Request, 64 * 1024, ct).ConfigureAwait(false);
        int version;
        using (var doc = JsonDocument.Parse(body, new JsonDocumentOptions { AllowDuplicateProperties = false }))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out version) || version < 1)
            {
                throw new InputException(InputProblem.Invalid, "the body must be {\"version\": n} with a positive whole number");
            }
        }

        var updated = await ModelPromotion.PromoteAsync(Registry, name, alias, version, AliasExpectation.Any, runtime, ct).ConfigureAwait(false);
        await WriteObjectAsync(context, 200, new { name, alias, version, aliases = updated.Aliases }).ConfigureAwait(false);
    });

    // ---- Open Inference Protocol v2 -------------------------------------------------------------------

    /// <summary><c>GET /v2/health/live</c>.</summary>
    public static Task LiveAsync(HttpContext context) => WriteObjectAsync(context, 200, new { live = true });

    /// <summary><c>GET /v2/health/ready</c>: ready when the model registry answers and every production alias points at a readable version.</summary>
    public Task ReadyAsync(HttpContext context) => ApiErrors.RunAsync(context, logger, async () =>
    {
        IReadOnlyList<Readiness.BrokenModel> broken;
        try
        {
            broken = await Readiness.BrokenModelsAsync(runtime, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await WriteObjectAsync(context, 503, new { ready = false, error = "the model registry is not reachable" }).ConfigureAwait(false);
            return;
        }

        if (broken.Count > 0)
        {
            await WriteObjectAsync(context, 503, new { ready = false, error = "a production alias is broken", broken }).ConfigureAwait(false);
            return;
        }

        await WriteObjectAsync(context, 200, new { ready = true }).ConfigureAwait(false);
    });

    /// <summary><c>GET /v2</c>: server metadata.</summary>
    public static Task ServerMetadataAsync(HttpContext context) =>
        WriteObjectAsync(context, 200, new { name = ServerName, version = ServerVersion, extensions = Array.Empty<string>() });

    /// <summary><c>GET /v2/models/{name}[/versions/{version}]</c>: model metadata.</summary>
    public Task ModelMetadataAsync(HttpContext context, string name, string? version) => ApiErrors.RunAsync(context, logger, async () =>
    {
        var ct = context.RequestAborted;
        RegistryNames.ValidateModelName(name);
        int resolved = await runtime.ResolveAsync(name, ParseVersion(version), null, ct).ConfigureAwait(false);
        var manifest = await Registry.GetManifestAsync(name, resolved, ct).ConfigureAwait(false);
        var versions = await Registry.ListVersionsAsync(name, ct).ConfigureAwait(false);
        await WriteObjectAsync(context, 200, new
        {
            name,
            versions = versions.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray(),
            platform = Platform,
            inputs = manifest.Signature.Input.Kind is InputKind.Text or InputKind.Table
                ? RowRequests.MetadataInputs(manifest.Signature) // what a request sends: the text, or each column
                : manifest.Inputs.Select(t => (object)new { name = t.Name, datatype = t.Datatype, shape = t.Shape }).ToArray(),
            // A classifier also offers its softmax ("probabilities"); a generator has only its image.
            outputs = manifest.Outputs.Select(t => new { name = t.Name, datatype = t.Datatype, shape = t.Shape })
                .Concat(manifest.Signature.Kind == ModelKind.Generator ? [] : [new { name = ProbabilitiesOutput, datatype = "FP32", shape = manifest.Outputs[0].Shape }]).ToArray(),
        }).ConfigureAwait(false);
    });

    /// <summary><c>GET /v2/models/{name}[/versions/{version}]/ready</c>: loads the model (verifying it) and says so.</summary>
    public Task ModelReadyAsync(HttpContext context, string name, string? version) => ApiErrors.RunAsync(context, logger, async () =>
    {
        var ct = context.RequestAborted;
        RegistryNames.ValidateModelName(name);
        int resolved = await runtime.ResolveAsync(name, ParseVersion(version), null, ct).ConfigureAwait(false);
        _ = await runtime.GetAsync(name, resolved, ct).ConfigureAwait(false);
        await WriteObjectAsync(context, 200, new { name, version = resolved.ToString(CultureInfo.InvariantCulture), ready = true }).ConfigureAwait(false);
    });

    /// <summary><c>POST /v2/models/{name}[/versions/{version}]/infer</c>: the protocol's inference request and response.</summary>
    public Task InferAsync(HttpContext context, string name, string? version) => ApiErrors.RunAsync(context, logger, async () =>
    {
        var ct = context.RequestAborted;
        RegistryNames.ValidateModelName(name);
        string? mediaType = RequestBody.MediaType(context.Request);
        if (mediaType is not (null or "application/json"))
        {
            throw new InputException(InputProblem.UnsupportedMediaType, $"content type '{mediaType}' is not supported: send application/json");
        }

        byte[] body = await RequestBody.ReadAsync(context.Request, Options.MaxRequestBytes, ct).ConfigureAwait(false);
        int resolved = await runtime.ResolveAsync(name, ParseVersion(version), null, ct).ConfigureAwait(false);
        await runtime.UseAsync(name, resolved, async model =>
        {
            InferRequest request;
            float[] logits;
            if (RowRequests.Takes(model))
            {
                // Texts and table rows: a BYTES input of texts, or one input per column.
                var (id, batch, outputs) = RowRequests.ParseInfer(body, model, Options.MaxImagesPerRequest, [model.OutputName, ProbabilitiesOutput]);
                request = new InferRequest(id, [], batch.Count, outputs);
                logits = await RowRequests.ScoreAsync(model, batch, ct).ConfigureAwait(false);
            }
            else
            {
                request = InferRequest.Parse(body, model, Options.MaxImagesPerRequest);
                logits = await model.PredictAsync(request.Pixels, request.Count, ct).ConfigureAwait(false);
                Scores.EnsureFinite(logits);
            }

            float[]? probabilities = request.Outputs.Contains(ProbabilitiesOutput) ? Scores.Softmax(logits, model.Classes) : null;
            await WriteJsonAsync(context, 200, writer =>
            {
                writer.WriteString("model_name", name);
                writer.WriteString("model_version", resolved.ToString(CultureInfo.InvariantCulture));
                if (request.Id is not null)
                {
                    writer.WriteString("id", request.Id);
                }

                writer.WriteStartArray("outputs");
                foreach (string output in request.Outputs)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", output);
                    writer.WriteString("datatype", "FP32");
                    writer.WriteStartArray("shape");
                    foreach (int d in GenerateApi.OutputShape(model, request.Count))
                    {
                        writer.WriteNumberValue(d);
                    }

                    writer.WriteEndArray();
                    writer.WriteStartArray("data");
                    foreach (float v in output == ProbabilitiesOutput ? probabilities! : logits)
                    {
                        writer.WriteNumberValue(v);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
    });

    // ---- helpers --------------------------------------------------------------------------------------

    /// <summary>A predict body scored: texts and table rows as <see cref="RowRequests"/> reads them, pictures as <see cref="DecodePredictBodyAsync"/> does.</summary>
    internal async Task<(float[] Logits, int Count)> ScoreBodyAsync(byte[] body, string? mediaType, LoadedModel model, CancellationToken ct)
    {
        if (RowRequests.Takes(model))
        {
            var batch = RowRequests.ParsePredict(body, mediaType, model, Options.MaxImagesPerRequest);
            return (await RowRequests.ScoreAsync(model, batch, ct).ConfigureAwait(false), batch.Count);
        }

        var (pixels, count) = await DecodePredictBodyAsync(body, mediaType, model, ct).ConfigureAwait(false);
        float[] logits = await model.PredictAsync(pixels, count, ct).ConfigureAwait(false);
        Scores.EnsureFinite(logits);
        return (logits, count);
    }

    /// <summary>A predict body (PNG/JPEG, or JSON instances) as the model's input: what predict and explain accept.</summary>
    internal async Task<(float[] Pixels, int Count)> DecodePredictBodyAsync(byte[] body, string? mediaType, LoadedModel model, CancellationToken ct)
    {
        bool image = mediaType is "image/png" or "image/jpeg" or "image/jpg"
            || (mediaType is null or "application/octet-stream" && RequestBody.LooksLikeImage(body));
        if (image)
        {
            var spec = model.ImageInput;
            return (await runtime.Decodes.RunAsync(() => ImageDecoder.Decode(body, spec, Options.Inversion, Options.MaxImagePixels), ct).ConfigureAwait(false), 1);
        }

        if (mediaType is not (null or "application/json"))
        {
            throw new InputException(InputProblem.UnsupportedMediaType, $"content type '{mediaType}' is not supported: send image/png, image/jpeg or application/json");
        }

        return PredictInstances.Parse(body, model, Options.MaxImagesPerRequest);
    }

    private static void WriteClass(Utf8JsonWriter writer, LoadedModel model, int index, float probability)
    {
        var labels = model.Signature.Output.Labels;
        writer.WriteString("label", index < labels.Count ? labels[index] : index.ToString(CultureInfo.InvariantCulture));
        writer.WriteNumber("class", index);
        writer.WriteNumber("probability", probability);
    }

    internal static (int? Version, string? Alias) VersionOrAlias(HttpRequest request)
    {
        int? version = QueryInt(request, "version");
        string? alias = request.Query.TryGetValue("alias", out var a) ? a.ToString() : null;
        if (version is not null && alias is not null)
        {
            throw new InputException(InputProblem.Invalid, "give version or alias, not both");
        }

        if (version is < 1)
        {
            throw new InputException(InputProblem.Invalid, "version must be a positive whole number");
        }

        if (alias is not null)
        {
            RegistryNames.ValidateAlias(alias);
        }

        return (version, alias);
    }

    internal static int? QueryInt(HttpRequest request, string key)
    {
        if (!request.Query.TryGetValue(key, out var raw))
        {
            return null;
        }

        return int.TryParse(raw.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InputException(InputProblem.Invalid, $"{key} must be a whole number, not '{raw}'");
    }

    internal static int? ParseVersion(string? version)
    {
        if (version is null)
        {
            return null;
        }

        return int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1
            ? v
            : throw new InputException(InputProblem.Invalid, $"version must be a positive whole number, not '{version}'");
    }

    internal static Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        // Built in this thread's buffer and writer (reused: no stream, writer or array per answer), then
        // copied into the response's pipe before anything is awaited, so the next answer on this thread
        // may take the buffer again.
        var buffer = t_answer ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
            writer.Flush();
            context.Response.ContentLength = buffer.WrittenCount;
            var pipe = context.Response.BodyWriter;
            pipe.Write(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > 1 << 20)
            {
                t_answer = null; // a rare large answer does not stay with the thread
                t_writer = null;
            }
        }

        return FlushAsync(context);
    }

    private static async Task FlushAsync(HttpContext context)
    {
        var flush = context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        if (!flush.IsCompletedSuccessfully)
        {
            await flush.ConfigureAwait(false);
        }
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_answer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    internal static async Task WriteObjectAsync<T>(HttpContext context, int status, T value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(value, Core.Contracts.LeptonJson.Options);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
