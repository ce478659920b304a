using System.Text.Json.Serialization;

namespace Lepton.Core.Data.Tables;

/// <summary>What a row-shaped dataset is for: classifying one free-text column, or a table of columns.</summary>
public enum TableTask
{
    /// <summary>One free-text column decides the label.</summary>
    Text,

    /// <summary>Numbers and categories (free-text columns are left out).</summary>
    Table,
}

/// <summary>What a column holds, as inferred from the training rows.</summary>
public enum ColumnType
{
    /// <summary>Every present value parses as a number (invariant culture).</summary>
    Number,

    /// <summary>A few distinct values (at most <see cref="TableSchema.MaxCategories"/> or a small share of the rows).</summary>
    Category,

    /// <summary>Free text: many distinct values, several words.</summary>
    Text,
}

/// <summary>
/// One input column and what training learned of it: a number's mean and standard deviation (missing
/// values become the mean, flagged by an indicator feature when the training rows had any), a
/// category's values (one-hot; a value not seen in training sets none).
/// </summary>
public sealed record TableColumn
{
    public required string Name { get; init; }

    public required ColumnType Type { get; init; }

    /// <summary>Training rows where the column is empty.</summary>
    public int Missing { get; init; }

    public double Mean { get; init; }

    public double Std { get; init; } = 1;

    /// <summary>A category column's values in feature order.</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Whether a missing-value indicator feature follows the column's value (numbers with missing values in training).</summary>
    [JsonIgnore]
    public bool HasIndicator => Type == ColumnType.Number && Missing > 0;

    /// <summary>Whether a row must give the column: the training data never had it missing.</summary>
    [JsonIgnore]
    public bool Required => Missing == 0;

    /// <summary>How many features the column becomes (0 for a text column of a table: left out).</summary>
    [JsonIgnore]
    public int FeatureCount => Type switch
    {
        ColumnType.Number => HasIndicator ? 2 : 1,
        ColumnType.Category => Categories?.Count ?? 0,
        _ => 0,
    };
}

/// <summary>
/// A prepared row dataset's table.json: the task, the label column and class names, and every other
/// column with its inferred type. The trainer reads it; the model's signature carries what serving needs.
/// </summary>
public sealed record TableSchema
{
    public const string FileName = "table.json";
    public const string TrainRows = "train.rows.jsonl";
    public const string TestRows = "test.rows.jsonl";

    /// <summary>The most distinct values a column may have and still be a category.</summary>
    public const int MaxCategories = 50;

    public required TableTask Task { get; init; }

    public required string LabelColumn { get; init; }

    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Every column but the label, in the file's order; the rows' cells follow this order.</summary>
    public required IReadOnlyList<TableColumn> Columns { get; init; }

    /// <summary>The text task's column.</summary>
    public string? TextColumn { get; init; }

    public int TrainRowCount { get; init; }

    public int TestRowCount { get; init; }
}
