using System.Text;
using System.Text.Json;
using Lepton.Core.Contracts;

namespace Lepton.Core.Data.Tables;

/// <summary>How a row dataset is read: the label column and the task (null: decided from the data).</summary>
public sealed record TableOptions(string? LabelColumn = null, TableTask? Task = null, int Seed = 42)
{
    public const string DefaultLabelColumn = "label";

    /// <summary>The column that splits one file into train and test rows when it is there.</summary>
    public const string SplitColumn = "split";

    /// <summary>The share of rows held out as the test split when the data has none.</summary>
    public const double TestFraction = 1.0 / 6;

    /// <summary>The most classes a label column may have.</summary>
    public const int MaxClasses = 100;

    public static TableOptions From(TrainingJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new TableOptions(spec.LabelColumn, spec.Task switch
        {
            "text" => TableTask.Text,
            "table" => TableTask.Table,
            _ => null,
        });
    }
}

/// <summary>One example: its label's index and its cells in <see cref="TableSchema.Columns"/> order.</summary>
public sealed record LabeledRow(int Label, string?[] Cells);

/// <summary>
/// A prepared row dataset (text or table): <see cref="TableSchema.FileName"/> and the train and test rows
/// as JSON lines (<c>[label, cell, ...]</c>), written by <see cref="Prepare"/> from CSV, TSV or JSON-lines
/// files and read by the trainer with <see cref="Load"/>.
/// </summary>
public sealed record TabularDataset(TableSchema Schema, IReadOnlyList<LabeledRow> Train, IReadOnlyList<LabeledRow> Test)
{
    /// <summary>Whether a prepared folder holds a row dataset.</summary>
    public static bool IsTabular(string folder) => File.Exists(Path.Combine(folder, TableSchema.FileName));

    /// <summary>The labels as bytes, for the stratified split and the classification report.</summary>
    public static byte[] LabelBytes(IReadOnlyList<LabeledRow> rows) => [.. rows.Select(r => (byte)r.Label)];

    /// <summary>
    /// Builds the dataset from a training file and an optional test file: the label column (named by
    /// <see cref="TableOptions.LabelColumn"/>, else <c>label</c>), the split (the test file, else a
    /// <c>split</c> column, else a stratified sixth with a fixed seed), each column's type and training
    /// statistics, and the task. Every problem names the file, line and column.
    /// </summary>
    public static TabularDataset Build(TableFile train, TableFile? test, TableOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        string labelName = options.LabelColumn ?? TableOptions.DefaultLabelColumn;
        int labelIndex = train.ColumnIndex(labelName);
        if (labelIndex < 0)
        {
            throw new DatasetFormatException(train.Path, $"no label column '{labelName}' (columns: {string.Join(", ", train.Header)}); name it 'label' or give --label-column");
        }

        labelName = train.Header[labelIndex];
        int splitIndex = test is null ? train.ColumnIndex(TableOptions.SplitColumn) : -1;
        var inputColumns = Enumerable.Range(0, train.Header.Count).Where(i => i != labelIndex && i != splitIndex).ToArray();
        if (inputColumns.Length == 0)
        {
            throw new DatasetFormatException(train.Path, $"only the label column '{labelName}': at least one input column is needed");
        }

        List<(TableFile File, TableRow Row)> trainRows, testRows;
        if (test is not null)
        {
            var missing = inputColumns.Select(i => train.Header[i]).Append(labelName).Where(c => test.ColumnIndex(c) < 0).ToArray();
            if (missing.Length > 0)
            {
                throw new DatasetFormatException(test.Path, $"missing the column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} of {train.Path}");
            }

            trainRows = [.. train.Rows.Select(r => (train, r))];
            testRows = [.. test.Rows.Select(r => (Align(test, train, r), r)).Select(p => (test, p.Item1))];
        }
        else if (splitIndex >= 0)
        {
            trainRows = [];
            testRows = [];
            foreach (var row in train.Rows)
            {
                string split = (row.Cells[splitIndex] ?? string.Empty).Trim().ToLowerInvariant();
                switch (split)
                {
                    case "train" or "training" or "validation" or "valid" or "dev":
                        trainRows.Add((train, row));
                        break;
                    case "test" or "testing":
                        testRows.Add((train, row));
                        break;
                    default:
                        throw new DatasetFormatException(train.Path, $"line {row.Line}, column '{train.Header[splitIndex]}': '{split}' is not train or test");
                }
            }
        }
        else
        {
            trainRows = [.. train.Rows.Select(r => (train, r))];
            testRows = [];
        }

        // Labels: every row has one; the classes in numeric order when they are numbers, else ordinal.
        foreach (var (file, row) in trainRows.Concat(testRows))
        {
            if (row.Cells[labelIndex] is null)
            {
                throw new DatasetFormatException(file.Path, $"line {row.Line}, column '{labelName}': the label is empty");
            }
        }

        var trainLabels = trainRows.Select(r => r.Row.Cells[labelIndex]!.Trim()).ToArray();
        var labels = trainLabels.Distinct(StringComparer.Ordinal).ToArray();
        labels = labels.All(l => TableFile.Number(l) is not null)
            ? [.. labels.OrderBy(l => TableFile.Number(l)).ThenBy(l => l, StringComparer.Ordinal)]
            : [.. labels.Order(StringComparer.Ordinal)];
        if (labels.Length < 2)
        {
            throw new DatasetFormatException(train.Path, $"column '{labelName}': {(labels.Length == 0 ? "no rows" : $"every row has the label '{labels[0]}'")}; at least two classes are needed");
        }

        if (labels.Length > TableOptions.MaxClasses)
        {
            throw new DatasetFormatException(train.Path, $"column '{labelName}': {labels.Length} distinct labels, at most {TableOptions.MaxClasses} (is it a number to predict rather than a class?)");
        }

        var classOf = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        if (test is null && splitIndex < 0)
        {
            var (keep, heldOut) = StratifiedSplit.Split(trainLabels.Select(l => (byte)classOf[l]).ToArray(), TableOptions.TestFraction, options.Seed);
            testRows = [.. heldOut.Select(i => trainRows[i])];
            trainRows = [.. keep.Select(i => trainRows[i])];
        }

        if (testRows.Count == 0)
        {
            throw new DatasetFormatException(train.Path, "no test rows: give a test file, rows with split 'test', or more rows");
        }

        foreach (var (file, row) in testRows)
        {
            string label = row.Cells[labelIndex]!.Trim();
            if (!classOf.ContainsKey(label))
            {
                throw new DatasetFormatException(file.Path, $"line {row.Line}, column '{labelName}': the label '{label}' is not among the training rows' ({string.Join(", ", labels)})");
            }
        }

        var columns = inputColumns.Select(i => Infer(train.Header[i], trainRows.Select(r => r.Row.Cells[i]).ToArray())).ToArray();
        var textColumns = columns.Where(c => c.Type == ColumnType.Text).ToArray();
        TableTask task = options.Task ?? (textColumns.Length == 1 ? TableTask.Text : TableTask.Table);
        string? textColumn = null;
        if (task == TableTask.Text)
        {
            var candidates = textColumns.Length > 0 ? textColumns : columns.Where(c => c.Type == ColumnType.Category).ToArray();
            if (candidates.Length == 0)
            {
                throw new DatasetFormatException(train.Path, "task text: no column holds text");
            }

            textColumn = candidates.OrderByDescending(c => AverageWords(trainRows, inputColumns, columns, c)).First().Name;
        }
        else if (columns.All(c => c.FeatureCount == 0))
        {
            throw new DatasetFormatException(train.Path, $"no number or category column to learn from (free-text columns: {string.Join(", ", textColumns.Select(c => c.Name))}; use --task text for one)");
        }

        LabeledRow Labeled((TableFile File, TableRow Row) r) =>
            new(classOf[r.Row.Cells[labelIndex]!.Trim()], [.. inputColumns.Select(i => r.Row.Cells[i])]);
        var schema = new TableSchema
        {
            Task = task,
            LabelColumn = labelName,
            Labels = labels,
            Columns = columns,
            TextColumn = textColumn,
            TrainRowCount = trainRows.Count,
            TestRowCount = testRows.Count,
        };
        return new TabularDataset(schema, [.. trainRows.Select(Labeled)], [.. testRows.Select(Labeled)]);
    }

    /// <summary>A test row's cells in the training file's column order.</summary>
    private static TableRow Align(TableFile test, TableFile train, TableRow row) =>
        new(row.Line, [.. train.Header.Select(h => test.ColumnIndex(h) is int i and >= 0 ? row.Cells[i] : null)]);

    private static double AverageWords(List<(TableFile File, TableRow Row)> rows, int[] inputColumns, TableColumn[] columns, TableColumn column)
    {
        int source = inputColumns[Array.IndexOf(columns, column)];
        return rows.Average(r => (r.Row.Cells[source] ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>A column's type and training statistics from its training cells.</summary>
    public static TableColumn Infer(string name, IReadOnlyList<string?> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var present = cells.Where(c => c is not null).Select(c => c!.Trim()).ToArray();
        int missing = cells.Count - present.Length;
        if (present.Length > 0 && present.All(c => TableFile.Number(c) is not null))
        {
            var values = present.Select(c => TableFile.Number(c)!.Value).ToArray();
            double mean = values.Average();
            double std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
            return new TableColumn { Name = name, Type = ColumnType.Number, Missing = missing, Mean = mean, Std = std > 1e-12 ? std : 1 };
        }

        var counts = present.GroupBy(c => c, StringComparer.Ordinal).Select(g => (Value: g.Key, Count: g.Count()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Value, StringComparer.Ordinal).ToArray();
        double words = present.Length == 0 ? 0 : present.Average(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        bool text = counts.Length > TableSchema.MaxCategories && words >= 2.5;
        if (text)
        {
            return new TableColumn { Name = name, Type = ColumnType.Text, Missing = missing };
        }

        // A category: its most frequent values (seen at least twice when there are many), the rest set no feature.
        var kept = counts.Where(c => counts.Length <= TableSchema.MaxCategories || c.Count >= 2).Take(TableSchema.MaxCategories).Select(c => c.Value).ToArray();
        return new TableColumn { Name = name, Type = ColumnType.Category, Missing = missing, Categories = kept };
    }

    /// <summary>Writes table.json and the rows (as <see cref="Load"/> reads them) into <paramref name="folder"/>.</summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        LeptonJson.WriteFile(Path.Combine(folder, TableSchema.FileName), Schema);
        WriteRows(Path.Combine(folder, TableSchema.TrainRows), Train);
        WriteRows(Path.Combine(folder, TableSchema.TestRows), Test);
    }

    /// <summary>Reads a prepared row dataset.</summary>
    public static TabularDataset Load(string folder)
    {
        string schemaPath = Path.Combine(folder, TableSchema.FileName);
        var schema = LeptonJson.Deserialize<TableSchema>(File.ReadAllText(schemaPath), schemaPath);
        return new TabularDataset(schema, ReadRows(Path.Combine(folder, TableSchema.TrainRows), schema), ReadRows(Path.Combine(folder, TableSchema.TestRows), schema));
    }

    private static void WriteRows(string path, IReadOnlyList<LabeledRow> rows)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream);
        var newline = "\n"u8.ToArray();
        foreach (var row in rows)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(row.Label);
            foreach (string? cell in row.Cells)
            {
                if (cell is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(cell);
                }
            }

            writer.WriteEndArray();
            writer.Flush();
            stream.Write(newline);
            writer.Reset();
        }
    }

    private static LabeledRow[] ReadRows(string path, TableSchema schema)
    {
        var rows = new List<LabeledRow>();
        int line = 0;
        foreach (string text in File.ReadLines(path, Encoding.UTF8))
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(text);
            var items = doc.RootElement.EnumerateArray().ToArray();
            if (items.Length != schema.Columns.Count + 1)
            {
                throw new DatasetFormatException(path, $"line {line}: {items.Length - 1} cells, the schema has {schema.Columns.Count} columns");
            }

            rows.Add(new LabeledRow(items[0].GetInt32(), [.. items.Skip(1).Select(i => i.ValueKind == JsonValueKind.Null ? null : i.GetString())]));
        }

        return [.. rows];
    }

    /// <summary>The canonical content's SHA-256 (what a prepared version is named by).</summary>
    public static string ContentVersion(string folder)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (string name in new[] { TableSchema.FileName, TableSchema.TrainRows, TableSchema.TestRows })
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData(File.ReadAllBytes(Path.Combine(folder, name)));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A short display of a row for model cards: the text (cut), or "column=value" pairs.</summary>
    public string Describe(LabeledRow row, int maxLength = 160)
    {
        ArgumentNullException.ThrowIfNull(row);
        string text = Schema.Task == TableTask.Text && Schema.TextColumn is { } column
            ? row.Cells[IndexOf(column)] ?? string.Empty
            : string.Join(", ", Schema.Columns.Select((c, i) => $"{c.Name}={row.Cells[i] ?? "?"}"));
        text = text.ReplaceLineEndings(" ");
        return text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength - 1), "…");
    }

    /// <summary>The index of a column in the rows' cells.</summary>
    public int IndexOf(string column)
    {
        for (int i = 0; i < Schema.Columns.Count; i++)
        {
            if (Schema.Columns[i].Name == column)
            {
                return i;
            }
        }

        throw new KeyNotFoundException($"no column '{column}'");
    }
}
