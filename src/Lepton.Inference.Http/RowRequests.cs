using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data.Tables;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Inference.Http;

/// <summary>Texts or table rows of one request, as the model's input: token ids or features, and what they were.</summary>
public sealed record RowBatch(int Count, long[]? Ids, float[]? Features, IReadOnlyList<string>? Texts, IReadOnlyList<string?[]>? Rows);

/// <summary>
/// Requests to text and table models. Predict: <c>{"text": "..."}</c> or <c>{"instances": [{"text": "..."}, ...]}</c>
/// (or instances that are strings) for text; <c>{"instances": [{"column": value, ...}, ...]}</c> for tables.
/// Open Inference Protocol v2: a BYTES input named as the text field, or one input per column (as KServe
/// does). Every bad request is an <see cref="InputException"/> that names the field or column.
/// </summary>
public static class RowRequests
{
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>Whether the model reads texts or table rows.</summary>
    public static bool Takes(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Signature.Input.Kind is InputKind.Text or InputKind.Table;
    }

    /// <summary>The predict route's JSON body as the model's input.</summary>
    public static RowBatch ParsePredict(byte[] body, string? mediaType, LoadedModel model, int maxInstances)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (mediaType is not (null or "application/json"))
        {
            throw new InputException(InputProblem.UnsupportedMediaType, $"content type '{mediaType}' is not supported: send application/json");
        }

        using var doc = Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InputException(InputProblem.Invalid, "the body must be a JSON object");
        }

        var text = model.Signature.Input.Text;
        if (text is not null && root.TryGetProperty(text.Field, out var single))
        {
            return Texts([ReadText(single, text, text.Field)], model);
        }

        if (!root.TryGetProperty("instances", out var instances) || instances.ValueKind != JsonValueKind.Array || instances.GetArrayLength() == 0)
        {
            throw new InputException(InputProblem.Invalid, text is not null
                ? $"the body needs \"{text.Field}\" or a non-empty \"instances\" array of {{\"{text.Field}\": \"...\"}}"
                : $"the body needs a non-empty \"instances\" array of rows {{\"column\": value, ...}} (columns: {string.Join(", ", model.Featurizer!.Columns.Select(c => c.Name))})");
        }

        if (instances.GetArrayLength() > maxInstances)
        {
            throw new InputException(InputProblem.TooLarge, $"at most {maxInstances} instances per request");
        }

        var items = instances.EnumerateArray().ToArray();
        if (text is not null)
        {
            return Texts([.. items.Select((item, i) => item.ValueKind == JsonValueKind.Object
                ? item.TryGetProperty(text.Field, out var value) ? ReadText(value, text, $"instances[{i}].{text.Field}") : throw new InputException(InputProblem.Invalid, $"instances[{i}]: missing \"{text.Field}\"")
                : ReadText(item, text, $"instances[{i}]"))], model);
        }

        var featurizer = model.Featurizer!;
        var rows = new List<string?[]>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].ValueKind != JsonValueKind.Object)
            {
                throw new InputException(InputProblem.Invalid, $"instances[{i}] must be an object {{\"column\": value, ...}}");
            }

            var cells = new string?[featurizer.Columns.Count];
            var given = new bool[cells.Length];
            foreach (var property in items[i].EnumerateObject())
            {
                int column = ColumnIndex(featurizer, property.Name)
                    ?? throw new InputException(InputProblem.Invalid, $"instances[{i}]: unknown column '{Cut(property.Name)}' (columns: {string.Join(", ", featurizer.Columns.Select(c => c.Name))})");
                cells[column] = Cell(property.Value, $"instances[{i}].{featurizer.Columns[column].Name}");
                given[column] = true;
            }

            RequireColumns(featurizer, given, cells, $"instances[{i}]");
            rows.Add(cells);
        }

        return Rows(rows, model, i => $"instances[{i}]");
    }

    /// <summary>An Open Inference Protocol v2 request to a text or table model: its id, input and requested outputs.</summary>
    public static (string? Id, RowBatch Batch, IReadOnlyList<string> Outputs) ParseInfer(byte[] body, LoadedModel model, int maxInstances, IReadOnlyList<string> defaultOutputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(defaultOutputs);
        using var doc = Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw new InputException(InputProblem.Invalid, "the body must be a JSON object with \"inputs\"");
        }

        string? id = root.TryGetProperty("id", out var idValue)
            ? idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : throw new InputException(InputProblem.Invalid, "id must be a string")
            : null;
        IReadOnlyList<string> outputs = defaultOutputs;
        if (root.TryGetProperty("outputs", out var requested))
        {
            if (requested.ValueKind != JsonValueKind.Array)
            {
                throw new InputException(InputProblem.Invalid, "outputs must be an array of {\"name\": ...}");
            }

            outputs = [.. requested.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Object && o.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                ? n.GetString()! is var name && defaultOutputs.Contains(name) ? name : throw new InputException(InputProblem.Invalid, $"unknown output '{Cut(name)}' (outputs: {string.Join(", ", defaultOutputs)})")
                : throw new InputException(InputProblem.Invalid, "each output must be {\"name\": ...}"))];
        }

        var byName = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var input in inputs.EnumerateArray())
        {
            if (input.ValueKind != JsonValueKind.Object || !input.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                || !input.TryGetProperty("data", out var data))
            {
                throw new InputException(InputProblem.Invalid, "each input needs a name, datatype, shape and data");
            }

            if (!byName.TryAdd(n.GetString()!, data))
            {
                throw new InputException(InputProblem.Invalid, $"the input '{Cut(n.GetString()!)}' is given twice");
            }
        }

        if (model.Signature.Input.Text is { } text)
        {
            if (byName.Count != 1 || !byName.TryGetValue(text.Field, out var data))
            {
                throw new InputException(InputProblem.Invalid, $"expected one BYTES input '{text.Field}' (the texts), got {string.Join(", ", byName.Keys.Select(k => $"'{Cut(k)}'"))}");
            }

            var values = Flatten(data, text.Field);
            Limit(values.Count, maxInstances);
            return (id, Texts([.. values.Select((v, i) => ReadText(v, text, $"{text.Field}[{i}]"))], model), outputs);
        }

        var featurizer = model.Featurizer!;
        foreach (string name in byName.Keys)
        {
            if (ColumnIndex(featurizer, name) is null)
            {
                throw new InputException(InputProblem.Invalid, $"unknown input '{Cut(name)}': this model's inputs are its columns ({string.Join(", ", featurizer.Columns.Select(c => c.Name))})");
            }
        }

        int count = -1;
        var columns = new List<JsonElement>?[featurizer.Columns.Count];
        for (int c = 0; c < featurizer.Columns.Count; c++)
        {
            if (byName.TryGetValue(featurizer.Columns[c].Name, out var data))
            {
                var values = Flatten(data, featurizer.Columns[c].Name);
                if (count >= 0 && values.Count != count)
                {
                    throw new InputException(InputProblem.Invalid, $"input '{featurizer.Columns[c].Name}' has {values.Count} values, the others {count}");
                }

                count = values.Count;
                columns[c] = values;
            }
        }

        if (count <= 0)
        {
            throw new InputException(InputProblem.Invalid, "no rows: each column input needs at least one value");
        }

        Limit(count, maxInstances);
        var rows = new List<string?[]>(count);
        for (int r = 0; r < count; r++)
        {
            var cells = new string?[featurizer.Columns.Count];
            var given = new bool[cells.Length];
            for (int c = 0; c < cells.Length; c++)
            {
                if (columns[c] is { } values)
                {
                    cells[c] = Cell(values[r], $"{featurizer.Columns[c].Name}[{r}]");
                    given[c] = true;
                }
            }

            RequireColumns(featurizer, given, cells, $"row {r}");
            rows.Add(cells);
        }

        return (id, Rows(rows, model, r => $"row {r}"), outputs);
    }

    /// <summary>Texts as token ids, tokenized as training did.</summary>
    public static RowBatch Texts(IReadOnlyList<string> texts, LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(model);
        return new RowBatch(texts.Count, model.Tokenizer!.Encode(texts), null, texts, null);
    }

    /// <summary>Rows (cells in the featurizer's column order) as features; a value that is not a number where one is needed names its column.</summary>
    public static RowBatch Rows(IReadOnlyList<string?[]> rows, LoadedModel model, Func<int, string>? where = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(model);
        var featurizer = model.Featurizer!;
        int f = featurizer.FeatureCount;
        var features = new float[rows.Count * f];
        for (int i = 0; i < rows.Count; i++)
        {
            try
            {
                featurizer.Featurize(rows[i], features.AsSpan(i * f, f));
            }
            catch (FormatException ex)
            {
                throw new InputException(InputProblem.Invalid, $"{(where ?? (r => $"row {r}"))(i)}: {ex.Message}");
            }
        }

        return new RowBatch(rows.Count, null, features, null, rows);
    }

    /// <summary>Logits [Count, classes]: text on the calling thread, table rows through the model's batcher.</summary>
    public static async Task<float[]> ScoreAsync(LoadedModel model, RowBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        float[] logits = batch.Ids is { } ids
            ? model.RunTokens(ids, batch.Count)
            : await model.PredictAsync(batch.Features!, batch.Count, cancellationToken).ConfigureAwait(false);
        Scores.EnsureFinite(logits);
        return logits;
    }

    private static JsonDocument Parse(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body, Strict);
        }
        catch (JsonException ex)
        {
            throw new InputException(InputProblem.Invalid, $"malformed JSON: {ex.Message}");
        }
    }

    private static string ReadText(JsonElement value, TextInputSpec spec, string where)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new InputException(InputProblem.Invalid, $"{where} must be a string (the text)");
        }

        string text = value.GetString()!;
        return text.Length <= spec.MaxCharacters
            ? text
            : throw new InputException(InputProblem.TooLarge, $"{where}: {text.Length:N0} characters, the limit is {spec.MaxCharacters:N0}");
    }

    private static string? Cell(JsonElement value, string where) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString() is { } s && s.Trim().Length > 0 ? s : null,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw new InputException(InputProblem.Invalid, $"{where} must be a number, a string or null, not {value.ValueKind.ToString().ToLowerInvariant()}"),
    };

    /// <summary>A column training always saw filled must be given; one it saw missing may be left out or null.</summary>
    private static void RequireColumns(TableFeaturizer featurizer, bool[] given, string?[] cells, string where)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            var column = featurizer.Columns[c];
            if (cells[c] is null && column.Required)
            {
                throw new InputException(InputProblem.Invalid, given[c]
                    ? $"{where}: column '{column.Name}' is empty, and the training data always had it"
                    : $"{where}: missing column '{column.Name}'");
            }
        }
    }

    private static int? ColumnIndex(TableFeaturizer featurizer, string name)
    {
        for (int c = 0; c < featurizer.Columns.Count; c++)
        {
            if (string.Equals(featurizer.Columns[c].Name, name, StringComparison.Ordinal))
            {
                return c;
            }
        }

        return null;
    }

    private static List<JsonElement> Flatten(JsonElement data, string name)
    {
        var values = new List<JsonElement>();
        void Walk(JsonElement e, int depth)
        {
            if (e.ValueKind == JsonValueKind.Array && depth < 2)
            {
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item, depth + 1);
                }
            }
            else if (depth == 0)
            {
                throw new InputException(InputProblem.Invalid, $"input '{Cut(name)}': data must be an array");
            }
            else
            {
                values.Add(e);
            }
        }

        Walk(data, 0);
        return values;
    }

    private static void Limit(int count, int max)
    {
        if (count > max)
        {
            throw new InputException(InputProblem.TooLarge, $"at most {max} rows per request");
        }
    }

    private static string Cut(string s) => s.Length <= 60 ? s : string.Concat(s.AsSpan(0, 60), "…");

    /// <summary>The Open Inference Protocol inputs a text or table model takes: its text field (BYTES), or each column (FP32 for numbers, BYTES for categories).</summary>
    public static IReadOnlyList<object> MetadataInputs(ModelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return signature.Input.Text is { } text
            ? [new { name = text.Field, datatype = "BYTES", shape = new[] { -1 } }]
            : [.. signature.Input.Table!.Columns.Select(c => (object)new { name = c.Name, datatype = c.Type == ColumnType.Number ? "FP32" : "BYTES", shape = new[] { -1 } })];
    }
}
