using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Lepton.Core.Data.Tables;

/// <summary>One data row and the line it starts on (1-based, the header is line 1 of a CSV).</summary>
public sealed record TableRow(int Line, string?[] Cells);

/// <summary>
/// A CSV, TSV or JSON-lines file read into a header and rows of text cells (null: missing). CSV and TSV
/// follow RFC 4180 (quoted fields may hold separators, quotes doubled, line breaks); a JSON-lines file is
/// one object a line, its columns the union of the keys in order of appearance. Every problem is a
/// <see cref="DatasetFormatException"/> naming the file and line (and column when there is one).
/// </summary>
public sealed record TableFile(string Path, IReadOnlyList<string> Header, IReadOnlyList<TableRow> Rows)
{
    /// <summary>The largest file read (bytes).</summary>
    public const long MaxBytes = 256L * 1024 * 1024;

    /// <summary>The longest cell (characters).</summary>
    public const int MaxCellLength = 100_000;

    private static readonly string[] Extensions = [".csv", ".tsv", ".jsonl", ".ndjson"];

    /// <summary>Whether the file name is one of a table's (.csv, .tsv, .jsonl, .ndjson).</summary>
    public static bool IsTableFile(string path) =>
        Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads a file; <paramref name="displayName"/> is how errors name it (default: its path).</summary>
    public static TableFile Read(string path, string? displayName = null)
    {
        string name = displayName ?? path;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new DatasetFormatException(name, "not found");
        }

        if (info.Length > MaxBytes)
        {
            throw new DatasetFormatException(name, $"{info.Length:N0} bytes: over the limit of {MaxBytes:N0}");
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException)
        {
            throw new DatasetFormatException(name, "not UTF-8 text");
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        return path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
            ? ReadJsonLines(text, name)
            : ReadDelimited(text, path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',', name);
    }

    /// <summary>The index of a column by name (ordinal, then ignoring case), or -1.</summary>
    public int ColumnIndex(string column)
    {
        for (int i = 0; i < Header.Count; i++)
        {
            if (string.Equals(Header[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        for (int i = 0; i < Header.Count; i++)
        {
            if (string.Equals(Header[i], column, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static TableFile ReadDelimited(string text, char separator, string name)
    {
        var records = new List<(int Line, List<string?> Fields)>();
        var fields = new List<string?>();
        var field = new StringBuilder();
        bool quoted = false, wasQuoted = false, any = false;
        int line = 1, recordLine = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }

                    field.Append(c);
                }

                Check(field, name, recordLine);
                continue;
            }

            if (c == '"' && field.Length == 0 && !wasQuoted)
            {
                quoted = wasQuoted = any = true;
            }
            else if (c == separator)
            {
                fields.Add(Cell(field, wasQuoted));
                (wasQuoted, any) = (false, true);
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                if (any || field.Length > 0 || fields.Count > 0)
                {
                    fields.Add(Cell(field, wasQuoted));
                    records.Add((recordLine, fields));
                    fields = [];
                }

                (wasQuoted, any) = (false, false);
                line++;
                recordLine = line;
            }
            else if (wasQuoted && !char.IsWhiteSpace(c))
            {
                throw new DatasetFormatException(name, $"line {recordLine}: text after a closing quote (a quote inside a field is written twice: \"\")");
            }
            else
            {
                field.Append(c);
                any = true;
                Check(field, name, recordLine);
            }
        }

        if (quoted)
        {
            throw new DatasetFormatException(name, $"line {recordLine}: a quoted field is never closed");
        }

        if (any || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(Cell(field, wasQuoted));
            records.Add((recordLine, fields));
        }

        if (records.Count == 0)
        {
            throw new DatasetFormatException(name, "empty: a header row and at least one data row are needed");
        }

        var header = records[0].Fields.Select((h, i) => (h ?? string.Empty).Trim()).ToArray();
        CheckHeader(header, name);
        var rows = new List<TableRow>(records.Count - 1);
        foreach (var (recordStart, cells) in records.Skip(1))
        {
            if (cells.Count != header.Length)
            {
                throw new DatasetFormatException(name, $"line {recordStart}: {cells.Count} fields, the header has {header.Length}");
            }

            rows.Add(new TableRow(recordStart, [.. cells]));
        }

        return new TableFile(name, header, rows);
    }

    private static string? Cell(StringBuilder field, bool quoted)
    {
        string value = field.ToString();
        field.Clear();
        return !quoted && value.Trim().Length == 0 ? null : value;
    }

    private static void Check(StringBuilder field, string name, int line)
    {
        if (field.Length > MaxCellLength)
        {
            throw new DatasetFormatException(name, $"line {line}: a field longer than {MaxCellLength:N0} characters");
        }
    }

    private static void CheckHeader(string[] header, string name)
    {
        for (int i = 0; i < header.Length; i++)
        {
            if (header[i].Length == 0)
            {
                throw new DatasetFormatException(name, $"line 1, column {i + 1}: an empty column name (the first row is the header)");
            }
        }

        if (header.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new DatasetFormatException(name, $"line 1: the column '{duplicate.Key}' is named twice");
        }
    }

    private static TableFile ReadJsonLines(string text, string name)
    {
        var header = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var objects = new List<(int Line, Dictionary<int, string?> Values)>();
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (line.Length > MaxCellLength * 4)
            {
                throw new DatasetFormatException(name, $"line {lineNumber}: longer than {MaxCellLength * 4:N0} characters");
            }

            var values = new Dictionary<int, string?>();
            try
            {
                using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 4 });
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new DatasetFormatException(name, $"line {lineNumber}: not a JSON object (one object a line)");
                }

                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (!index.TryGetValue(property.Name, out int column))
                    {
                        column = header.Count;
                        index[property.Name] = column;
                        header.Add(property.Name);
                    }

                    values[column] = property.Value.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => property.Value.GetString() is { } s && s.Trim().Length > 0 ? s : null,
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => throw new DatasetFormatException(name, $"line {lineNumber}, column '{property.Name}': a {property.Value.ValueKind.ToString().ToLowerInvariant()}, not a string, number, boolean or null"),
                    };
                }
            }
            catch (JsonException ex)
            {
                throw new DatasetFormatException(name, $"line {lineNumber}: malformed JSON ({ex.Message})");
            }

            objects.Add((lineNumber, values));
        }

        if (objects.Count == 0)
        {
            throw new DatasetFormatException(name, "empty: at least one JSON object is needed");
        }

        CheckHeader([.. header], name);
        var rows = objects.Select(o => new TableRow(o.Line, Enumerable.Range(0, header.Count).Select(c => o.Values.GetValueOrDefault(c)).ToArray())).ToArray();
        return new TableFile(name, header, rows);
    }

    /// <summary>A cell as a number (invariant culture), or null when it is not one.</summary>
    public static double? Number(string? cell) =>
        cell is not null && double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : null;
}
