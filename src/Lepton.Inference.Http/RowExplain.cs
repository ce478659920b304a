using System.Text.Json;
using Lepton.Core.Data.Tables;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Inference.Http;

/// <summary>
/// Explanations for text and table models by occlusion: a text's words each left out in turn (the weight of
/// a word is how much the predicted class's probability drops without it), a row's columns each set to
/// their training mean (numbers) or to no category (the weight: the drop of the predicted class's probability).
/// All the variants are scored in one batch of at most <see cref="MaxWords"/> + 1 rows.
/// </summary>
public static class RowExplain
{
    /// <summary>The most words of a text that are weighed (the rest keep weight 0 and are not listed).</summary>
    public const int MaxWords = 256;

    public sealed record Weight(string Name, string? Value, double Drop);

    public sealed record Result(int Index, float[] Probabilities, IReadOnlyList<Weight> Weights, string Kind);

    public static async Task<Result> ExplainAsync(byte[] body, string? mediaType, LoadedModel model, int maxInstances, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        var batch = RowRequests.ParsePredict(body, mediaType, model, maxInstances);
        if (batch.Count != 1)
        {
            throw new InputException(InputProblem.Invalid, $"explain takes one {(batch.Texts is null ? "row" : "text")}, not {batch.Count}");
        }

        if (batch.Texts is { } texts)
        {
            var words = TextTokenizer.Words(texts[0]);
            int n = Math.Min(words.Count, MaxWords);
            var variants = new List<string>(n + 1) { texts[0] };
            for (int i = 0; i < n; i++)
            {
                variants.Add(string.Join(' ', words.Where((_, k) => k != i)));
            }

            var scored = RowRequests.Texts(variants, model);
            float[] logits = await RowRequests.ScoreAsync(model, scored, ct).ConfigureAwait(false);
            return Weigh(logits, model.Classes, [.. words.Take(n).Select(w => (w, (string?)null))], "token");
        }

        var row = batch.Rows![0];
        var featurizer = model.Featurizer!;
        var rows = new List<string?[]>(featurizer.Columns.Count + 1) { row };
        for (int c = 0; c < featurizer.Columns.Count; c++)
        {
            var copy = (string?[])row.Clone();
            copy[c] = TableFeaturizer.Neutral(featurizer.Columns[c]);
            rows.Add(copy);
        }

        float[] rowLogits = await RowRequests.ScoreAsync(model, RowRequests.Rows(rows, model), ct).ConfigureAwait(false);
        return Weigh(rowLogits, model.Classes, [.. featurizer.Columns.Select((c, i) => (c.Name, row[i]))], "column");
    }

    private static Result Weigh(float[] logits, int classes, (string Name, string? Value)[] parts, string kind)
    {
        float[] probabilities = Scores.Softmax(logits, classes);
        var original = probabilities.AsSpan(0, classes).ToArray();
        int best = Scores.TopK(original, 1)[0];
        var weights = parts.Select((p, i) => new Weight(p.Name, p.Value, Math.Round(original[best] - probabilities[((i + 1) * classes) + best], 5))).ToArray();
        return new Result(best, original, weights, kind);
    }

    /// <summary>Writes the explanation's weights: tokens in text order, columns largest first.</summary>
    public static void WriteWeights(Utf8JsonWriter writer, Result result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var weights = result.Kind == "column" ? result.Weights.OrderByDescending(w => Math.Abs(w.Drop)).ToArray() : result.Weights;
        writer.WriteString("method", result.Kind == "column" ? "occlusion: each column set to its training mean (numbers) or no category" : "leave one word out");
        writer.WriteStartArray(result.Kind == "column" ? "columns" : "tokens");
        foreach (var w in weights)
        {
            writer.WriteStartObject();
            writer.WriteString(result.Kind, w.Name);
            if (result.Kind == "column")
            {
                if (w.Value is null)
                {
                    writer.WriteNull("value");
                }
                else
                {
                    writer.WriteString("value", w.Value);
                }
            }

            writer.WriteNumber("weight", w.Drop);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
