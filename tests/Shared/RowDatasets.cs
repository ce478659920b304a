using System.Globalization;
using System.Text;

namespace Lepton.Tests;

/// <summary>
/// Generated row datasets whose answer is known: texts whose class is decided by one keyword among filler
/// words, and table rows whose class is decided by a threshold on one column (the others are noise).
/// </summary>
internal static class RowDatasets
{
    /// <summary>The text classes and the keyword that decides each.</summary>
    public static readonly (string Label, string Keyword)[] TextClasses = [("fruit", "banana"), ("metal", "copper"), ("tree", "maple")];

    private static readonly string[] Filler =
    [
        "the", "a", "very", "quite", "today", "we", "saw", "some", "it", "was", "and", "then", "over", "there", "with", "blue",
        "small", "large", "old", "new", "morning", "evening", "people", "said", "again", "really", "just", "near", "house", "road",
    ];

    /// <summary>A text of filler words around the class's keyword (commas and quotes included, to exercise CSV quoting).</summary>
    public static string Text(Random random, string keyword)
    {
        ArgumentNullException.ThrowIfNull(random);
        var words = Enumerable.Range(0, random.Next(5, 14)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
        words.Insert(random.Next(words.Count + 1), random.Next(4) == 0 ? $"\"{keyword}\"," : keyword);
        return string.Join(' ', words);
    }

    /// <summary>Writes <c>text,label</c> rows (a CSV with quoted fields) to <paramref name="path"/>; returns it.</summary>
    public static string WriteTexts(string path, int rows, int seed = 1)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("text,label\n");
        for (int i = 0; i < rows; i++)
        {
            var (label, keyword) = TextClasses[i % TextClasses.Length];
            csv.Append(Quote(Text(random, keyword))).Append(',').Append(label).Append('\n');
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    /// <summary>The income above which a row is "high".</summary>
    public const double Threshold = 50;

    /// <summary>
    /// Writes table rows to <paramref name="path"/>: <c>income</c> (number; above <see cref="Threshold"/>: high),
    /// <c>age</c> (number, noise, every tenth missing), <c>city</c> (category, noise), <c>label</c> (low, high).
    /// </summary>
    public static string WriteTable(string path, int rows, int seed = 2)
    {
        var random = new Random(seed);
        string[] cities = ["north", "south", "east"];
        var csv = new StringBuilder("income,age,city,label\n");
        for (int i = 0; i < rows; i++)
        {
            double income = Math.Round(random.NextDouble() * 100, 2);
            string age = i % 10 == 3 ? string.Empty : random.Next(18, 80).ToString(CultureInfo.InvariantCulture);
            csv.Append(income.ToString(CultureInfo.InvariantCulture)).Append(',').Append(age).Append(',')
                .Append(cities[random.Next(cities.Length)]).Append(',').Append(income > Threshold ? "high" : "low").Append('\n');
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    private static string Quote(string field) =>
        field.Contains('"', StringComparison.Ordinal) || field.Contains(',', StringComparison.Ordinal) || field.Contains('\n', StringComparison.Ordinal)
            ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : field;
}
