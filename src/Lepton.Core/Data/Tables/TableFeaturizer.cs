using System.Globalization;

namespace Lepton.Core.Data.Tables;

/// <summary>
/// A table row to the model's features, the one preprocessing step training and serving share: a number
/// standardized with the training mean and standard deviation (missing: the mean, i.e. 0, and a 1 in its
/// indicator feature when training saw missing values), a category one-hot over the training values (a
/// value training did not see, or a missing one, sets none). Text columns of a table are left out.
/// </summary>
public sealed class TableFeaturizer
{
    public TableFeaturizer(IReadOnlyList<TableColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Columns = columns;
        var offsets = new int[columns.Count];
        var names = new List<string>();
        for (int i = 0; i < columns.Count; i++)
        {
            offsets[i] = names.Count;
            var c = columns[i];
            switch (c.Type)
            {
                case ColumnType.Number:
                    names.Add(c.Name);
                    if (c.HasIndicator)
                    {
                        names.Add($"{c.Name} (missing)");
                    }

                    break;
                case ColumnType.Category:
                    names.AddRange((c.Categories ?? []).Select(v => $"{c.Name}={v}"));
                    break;
            }
        }

        Offsets = offsets;
        FeatureNames = names;
    }

    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>Where each column's features start.</summary>
    public IReadOnlyList<int> Offsets { get; }

    public IReadOnlyList<string> FeatureNames { get; }

    public int FeatureCount => FeatureNames.Count;

    /// <summary>Writes one row's features; a cell is the column's value as text (null: missing).</summary>
    public void Featurize(IReadOnlyList<string?> cells, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(cells);
        features.Clear();
        for (int i = 0; i < Columns.Count; i++)
        {
            SetColumn(i, cells[i], features);
        }
    }

    /// <summary>Writes one column's features from its cell (null: missing).</summary>
    public void SetColumn(int column, string? cell, Span<float> features)
    {
        var c = Columns[column];
        int at = Offsets[column];
        switch (c.Type)
        {
            case ColumnType.Number:
                double? value = TableFile.Number(cell);
                if (cell is not null && value is null)
                {
                    throw new FormatException($"column '{c.Name}': '{cell}' is not a number");
                }

                features[at] = value is double v ? (float)((v - c.Mean) / c.Std) : 0f;
                if (c.HasIndicator)
                {
                    features[at + 1] = value is null ? 1f : 0f;
                }

                break;
            case ColumnType.Category:
                var categories = c.Categories ?? [];
                for (int k = 0; k < categories.Count; k++)
                {
                    features[at + k] = cell is not null && string.Equals(categories[k], cell.Trim(), StringComparison.Ordinal) ? 1f : 0f;
                }

                break;
        }
    }

    /// <summary>Features [rows.Count, FeatureCount].</summary>
    public float[] Featurize(IReadOnlyList<LabeledRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var features = new float[rows.Count * FeatureCount];
        for (int i = 0; i < rows.Count; i++)
        {
            Featurize(rows[i].Cells, features.AsSpan(i * FeatureCount, FeatureCount));
        }

        return features;
    }

    /// <summary>A column's "neutral" value for occlusion: a number's training mean; a category's none (null).</summary>
    public static string? Neutral(TableColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.Type == ColumnType.Number ? column.Mean.ToString("R", CultureInfo.InvariantCulture) : null;
    }
}
