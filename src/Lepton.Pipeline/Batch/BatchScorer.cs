using System.Globalization;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Data.Tables;
using Lepton.Inference;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Pipeline.Batch;

/// <summary>
/// Scores a range of a job's inputs with a loaded classifier, as serving would: pictures decoded as the
/// signature says (on every core), texts tokenized with the model's tokenizer, rows featurized with its
/// featurizer; scored in session runs of <see cref="PredictBatch"/>. An input that cannot be read is a
/// line with its reason.
/// </summary>
public static class BatchScorer
{
    /// <summary>The classes each line lists.</summary>
    public const int TopK = 3;

    /// <summary>Inputs per session run.</summary>
    public const int PredictBatch = 64;

    /// <summary>Refuses a model that cannot score these inputs (naming what it takes), or a table file without the columns it needs.</summary>
    public static void Check(LoadedModel model, BatchInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        string what = $"model '{model.Manifest.Name}' version {model.Manifest.Version}";
        if (model.Signature.Kind != ModelKind.Classifier)
        {
            throw new DatasetFormatException(inputs.Path, $"{what} is a {model.Signature.Kind.ToString().ToLowerInvariant()}: batch scoring takes classifiers");
        }

        var kind = model.Signature.Input.Kind;
        if (inputs.Kind == BatchInputKind.Images && kind != InputKind.Image)
        {
            throw new DatasetFormatException(inputs.Path, $"{what} takes {kind.ToString().ToLowerInvariant()} input: give a table file (.csv, .tsv, .jsonl) of rows, not images");
        }

        if (inputs.Kind == BatchInputKind.Rows)
        {
            if (kind == InputKind.Image)
            {
                throw new DatasetFormatException(inputs.Path, $"{what} takes images: give a folder or .zip of pictures, not a table file");
            }

            var table = inputs.Table!;
            if (model.Signature.Input.Text is { } text && table.ColumnIndex(text.Field) < 0)
            {
                throw new DatasetFormatException(inputs.Path, $"no column '{text.Field}' (the text {what} reads); the columns are {string.Join(", ", table.Header)}");
            }

            if (model.Featurizer is { } featurizer && featurizer.Columns.FirstOrDefault(c => c.Required && table.ColumnIndex(c.Name) < 0) is { } missing)
            {
                throw new DatasetFormatException(inputs.Path, $"no column '{missing.Name}', which {what} needs (its columns: {string.Join(", ", featurizer.Columns.Select(c => c.Name))})");
            }
        }
    }

    /// <summary>The result lines of inputs <c>[start, start + count)</c>, in that order.</summary>
    public static async Task<IReadOnlyList<BatchResultLine>> ScoreAsync(LoadedModel model, BatchInputs inputs, int start, int count, InferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        Check(model, inputs);
        var errors = new string?[count];
        var probabilities = new float[]?[count];
        if (inputs.Kind == BatchInputKind.Images)
        {
            await ScoreImagesAsync(model, inputs, start, count, options, errors, probabilities).ConfigureAwait(false);
        }
        else if (model.Signature.Input.Text is { } text)
        {
            ScoreTexts(model, inputs, text, start, count, errors, probabilities);
        }
        else
        {
            await ScoreRowsAsync(model, inputs, start, count, errors, probabilities).ConfigureAwait(false);
        }

        var labels = model.Signature.Output.Labels;
        var lines = new BatchResultLine[count];
        for (int i = 0; i < count; i++)
        {
            string name = inputs.Names[start + i];
            if (probabilities[i] is { } p)
            {
                var top = Scores.TopK(p, TopK).Select(c => new BatchTopClass(Label(labels, c), Math.Round(p[c], 6))).ToArray();
                lines[i] = new BatchResultLine(name, top[0].Label, top[0].Probability, top, null);
            }
            else
            {
                lines[i] = new BatchResultLine(name, null, null, null, errors[i] ?? "not scored");
            }
        }

        return lines;
    }

    private static async Task ScoreImagesAsync(LoadedModel model, BatchInputs inputs, int start, int count, InferenceOptions options, string?[] errors, float[]?[] probabilities)
    {
        var bytes = inputs.ReadImages(start, count);
        var pixels = new float[]?[count];
        var spec = model.ImageInput;
        Parallel.For(0, count, i =>
        {
            try
            {
                pixels[i] = ImageDecoder.Decode(bytes[i], spec, options.Inversion, options.MaxImagePixels);
            }
            catch (InputException bad)
            {
                errors[i] = bad.Message;
            }
        });

        int[] decoded = [.. Enumerable.Range(0, count).Where(i => pixels[i] is not null)];
        for (int from = 0; from < decoded.Length; from += PredictBatch)
        {
            int[] batch = decoded[from..Math.Min(decoded.Length, from + PredictBatch)];
            var values = new float[batch.Length * model.ImageValues];
            for (int k = 0; k < batch.Length; k++)
            {
                pixels[batch[k]]!.CopyTo(values, k * model.ImageValues);
            }

            Keep(model, batch, await model.PredictAsync(values, batch.Length).ConfigureAwait(false), probabilities);
        }
    }

    private static void ScoreTexts(LoadedModel model, BatchInputs inputs, TextInputSpec spec, int start, int count, string?[] errors, float[]?[] probabilities)
    {
        int column = inputs.Table!.ColumnIndex(spec.Field);
        var texts = new List<(int Index, string Text)>(count);
        for (int i = 0; i < count; i++)
        {
            string? text = inputs.Table.Rows[start + i].Cells[column];
            if (string.IsNullOrWhiteSpace(text))
            {
                errors[i] = $"column '{spec.Field}' is empty";
            }
            else if (text.Length > spec.MaxCharacters)
            {
                errors[i] = $"{text.Length:N0} characters, the limit is {spec.MaxCharacters:N0}";
            }
            else
            {
                texts.Add((i, text));
            }
        }

        for (int from = 0; from < texts.Count; from += PredictBatch)
        {
            var batch = texts.GetRange(from, Math.Min(PredictBatch, texts.Count - from));
            long[] ids = model.Tokenizer!.Encode([.. batch.Select(t => t.Text)]);
            Keep(model, [.. batch.Select(t => t.Index)], model.RunTokens(ids, batch.Count), probabilities);
        }
    }

    private static async Task ScoreRowsAsync(LoadedModel model, BatchInputs inputs, int start, int count, string?[] errors, float[]?[] probabilities)
    {
        var featurizer = model.Featurizer!;
        var table = inputs.Table!;
        int[] columns = [.. featurizer.Columns.Select(c => table.ColumnIndex(c.Name))];
        int f = featurizer.FeatureCount;
        var features = new float[count * f];
        var good = new List<int>(count);
        var cells = new string?[columns.Length];
        for (int i = 0; i < count; i++)
        {
            var row = table.Rows[start + i].Cells;
            for (int c = 0; c < columns.Length; c++)
            {
                cells[c] = columns[c] >= 0 && columns[c] < row.Length ? row[columns[c]] : null;
            }

            if (Enumerable.Range(0, columns.Length).FirstOrDefault(c => cells[c] is null && featurizer.Columns[c].Required, -1) is var empty and >= 0)
            {
                errors[i] = $"column '{featurizer.Columns[empty].Name}' is empty, and the training data always had it";
                continue;
            }

            try
            {
                featurizer.Featurize(cells, features.AsSpan(good.Count * f, f));
                good.Add(i);
            }
            catch (FormatException ex)
            {
                errors[i] = ex.Message;
            }
        }

        for (int from = 0; from < good.Count; from += PredictBatch)
        {
            int n = Math.Min(PredictBatch, good.Count - from);
            float[] logits = await model.PredictAsync(features[(from * f)..((from + n) * f)], n).ConfigureAwait(false);
            Keep(model, [.. good.GetRange(from, n)], logits, probabilities);
        }
    }

    /// <summary>Softmax of each input's logits, kept at its index.</summary>
    private static void Keep(LoadedModel model, int[] indexes, float[] logits, float[]?[] probabilities)
    {
        for (int k = 0; k < indexes.Length; k++)
        {
            probabilities[indexes[k]] = Scores.Softmax(logits.AsSpan(k * model.Classes, model.Classes), model.Classes);
        }
    }

    private static string Label(IReadOnlyList<string> labels, int c) => c < labels.Count ? labels[c] : c.ToString(CultureInfo.InvariantCulture);
}
