using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Data.Tables;
using Lepton.Tests;

namespace Lepton.Core.Tests.Data;

public sealed class TableDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-table-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Csv_QuotedFieldsWithSeparatorsQuotesAndLineBreaks_AreOneCellEach()
    {
        var file = TableFile.Read(Write("t.csv", "text,label\r\n\"a, b\",x\n\"say \"\"hi\"\"\nthere\",y\n,z\n"));

        Assert.Equal(["text", "label"], file.Header);
        Assert.Equal(3, file.Rows.Count);
        Assert.Equal<string?>(["a, b", "x"], file.Rows[0].Cells.AsEnumerable());
        Assert.Equal("say \"hi\"\nthere", file.Rows[1].Cells[0]);
        Assert.Null(file.Rows[2].Cells[0]); // empty: missing
        Assert.Equal([2, 3, 5], file.Rows.Select(r => r.Line));
    }

    [Fact]
    public void Tsv_AndJsonLines_AreRead()
    {
        var tsv = TableFile.Read(Write("t.tsv", "a\tlabel\n1,5\tx\n"));
        var jsonl = TableFile.Read(Write("t.jsonl", "{\"a\": 1.5, \"label\": \"x\"}\n\n{\"label\": \"y\", \"b\": null, \"a\": true}\n"));

        Assert.Equal("1,5", tsv.Rows[0].Cells[0]);
        Assert.Equal(["a", "label", "b"], jsonl.Header);
        Assert.Equal<string?>(["1.5", "x", null], jsonl.Rows[0].Cells.AsEnumerable());
        Assert.Equal<string?>(["true", "y", null], jsonl.Rows[1].Cells.AsEnumerable());
        Assert.Equal(3, jsonl.Rows[1].Line);
    }

    [Theory]
    [InlineData("a,label\n1,x\n2,y,3\n", "line 3: 3 fields, the header has 2")]
    [InlineData("a,label\n\"1,x\n", "line 2: a quoted field is never closed")]
    [InlineData("a,,label\n1,2,x\n", "line 1, column 2: an empty column name")]
    [InlineData("a,A,label\n1,2,x\n", "the column 'a' is named twice")]
    [InlineData("", "empty")]
    public void BadCsv_NamesTheFileAndLine(string content, string problem)
    {
        string path = Write("bad.csv", content);
        var ex = Assert.Throws<DatasetFormatException>(() => TableFile.Read(path, "bad.csv"));
        Assert.StartsWith("bad.csv: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadJsonLine_NamesTheLine()
    {
        string path = Write("bad.jsonl", "{\"a\": 1, \"label\": \"x\"}\n{\"a\": [1], \"label\": \"y\"}\n");
        var ex = Assert.Throws<DatasetFormatException>(() => TableFile.Read(path, "bad.jsonl"));
        Assert.Contains("line 2, column 'a': a array", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OneFile_HoldsOutAStratifiedSixth_Deterministically()
    {
        var file = TableFile.Read(RowDatasets.WriteTable(Path.Combine(_dir, "table.csv"), 120));

        var a = TabularDataset.Build(file, null, new TableOptions());
        var b = TabularDataset.Build(file, null, new TableOptions());

        Assert.Equal(20, a.Test.Count);
        Assert.Equal(100, a.Train.Count);
        Assert.Equal(a.Test.Select(r => r.Cells[0]), b.Test.Select(r => r.Cells[0]));
        Assert.Equal(TableTask.Table, a.Schema.Task);
        Assert.Equal(["high", "low"], a.Schema.Labels);
        var income = a.Schema.Columns.Single(c => c.Name == "income");
        var age = a.Schema.Columns.Single(c => c.Name == "age");
        var city = a.Schema.Columns.Single(c => c.Name == "city");
        Assert.Equal(ColumnType.Number, income.Type);
        Assert.Equal(0, income.Missing);
        Assert.Equal(ColumnType.Number, age.Type);
        Assert.True(age.Missing > 0);
        Assert.True(age.HasIndicator);
        Assert.Equal(ColumnType.Category, city.Type);
        Assert.Equal(["east", "north", "south"], city.Categories!.Order(StringComparer.Ordinal));
        // Statistics come from the training rows only.
        var trainIncome = a.Train.Select(r => double.Parse(r.Cells[0]!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(trainIncome.Average(), income.Mean, 9);
    }

    [Fact]
    public void Build_TextColumn_MakesATextTask()
    {
        var file = TableFile.Read(RowDatasets.WriteTexts(Path.Combine(_dir, "texts.csv"), 90));

        var dataset = TabularDataset.Build(file, null, new TableOptions());

        Assert.Equal(TableTask.Text, dataset.Schema.Task);
        Assert.Equal("text", dataset.Schema.TextColumn);
        Assert.Equal(["fruit", "metal", "tree"], dataset.Schema.Labels);
        Assert.Equal(15, dataset.Test.Count);
    }

    [Fact]
    public void Build_SplitColumn_AndTestFile_DecideTheTestRows()
    {
        var split = TableFile.Read(Write("s.csv", "x,label,split\n1,a,train\n2,b,train\n3,a,test\n4,b,TEST\n5,a,train\n"));
        var train = TableFile.Read(Write("train.csv", "x,label\n1,a\n2,b\n"));
        var test = TableFile.Read(Write("test.csv", "label,x\nb,9\n"));

        var bySplit = TabularDataset.Build(split, null, new TableOptions());
        var byFile = TabularDataset.Build(train, test, new TableOptions());

        Assert.Equal(["3", "4"], bySplit.Test.Select(r => r.Cells[0]));
        Assert.Equal(["x"], bySplit.Schema.Columns.Select(c => c.Name)); // the split column is not an input
        Assert.Equal("9", byFile.Test.Single().Cells[0]); // the test file's columns in the training file's order
        Assert.Equal(1, byFile.Test.Single().Label);
    }

    [Theory]
    [InlineData("x,y\n1,a\n2,b\n", null, "no label column 'label' (columns: x, y)")]
    [InlineData("x,label\n1,a\n2,a\n3,a\n4,a\n5,a\n6,a\n7,a\n", null, "every row has the label 'a'")]
    [InlineData("x,label\n1,a\n2,\n", null, "line 3, column 'label': the label is empty")]
    [InlineData("x,target\n1,a\n2,b\n", "tgt", "no label column 'tgt'")]
    public void Build_BadLabels_NameTheProblem(string content, string? labelColumn, string problem)
    {
        var file = TableFile.Read(Write("l.csv", content), "l.csv");
        var ex = Assert.Throws<DatasetFormatException>(() => TabularDataset.Build(file, null, new TableOptions(labelColumn)));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_LabelColumnOption_NamesTheClassColumn()
    {
        var file = TableFile.Read(Write("t.csv", "x,target,split\n1,a,train\n2,b,train\n3,a,test\n"));
        var dataset = TabularDataset.Build(file, null, new TableOptions("target"));
        Assert.Equal("target", dataset.Schema.LabelColumn);
        Assert.Equal(["a", "b"], dataset.Schema.Labels);
    }

    [Fact]
    public void WriteThenLoad_RoundTrips_AndTheContentVersionIsStable()
    {
        var dataset = TabularDataset.Build(TableFile.Read(RowDatasets.WriteTable(Path.Combine(_dir, "table.csv"), 60)), null, new TableOptions());
        dataset.Write(Path.Combine(_dir, "a"));
        dataset.Write(Path.Combine(_dir, "b"));

        var loaded = TabularDataset.Load(Path.Combine(_dir, "a"));

        Assert.Equal(dataset.Schema.Labels, loaded.Schema.Labels);
        Assert.Equal(dataset.Train.Select(r => (r.Label, string.Join('|', r.Cells))), loaded.Train.Select(r => (r.Label, string.Join('|', r.Cells))));
        Assert.Equal(TabularDataset.ContentVersion(Path.Combine(_dir, "a")), TabularDataset.ContentVersion(Path.Combine(_dir, "b")));
    }

    [Fact]
    public void Tokenizer_LearnsFrequentWords_AndEncodesToAFixedLength()
    {
        string[] texts = ["Great coffee, great price!", "great tea", "bad coffee", "bad, bad tea?", "coffee again", "great coffee"];

        var words = TextTokenizer.Learn(texts, vocabularySize: 100, wordPairs: false);
        var pairs = TextTokenizer.Learn(texts, vocabularySize: 100, wordPairs: true);

        Assert.Equal(["bad", "coffee", "great", "tea"], words.Vocabulary.Order(StringComparer.Ordinal)); // seen at least twice
        Assert.Equal(8, words.MaxTokens); // the shortest length kept
        var ids = new long[words.MaxTokens];
        int n = words.Encode("GREAT unknownword coffee", ids);
        Assert.Equal(3, n);
        Assert.Equal(words.Vocabulary.ToList().IndexOf("great") + 2, ids[0]);
        Assert.Equal(TextTokenizer.Unknown, ids[1]);
        Assert.Equal(TextTokenizer.Pad, ids[3]);
        Assert.Equal(["bad", "coffee", "great", "tea", "great coffee"], pairs.Vocabulary.Take(4).Order(StringComparer.Ordinal).Append(pairs.Vocabulary[4])); // the one pair seen twice, after the words
        Assert.Equal(5, pairs.Vocabulary.Count);
        var pairIds = new long[pairs.MaxTokens];
        Assert.Equal(4, pairs.Encode("great coffee tea", pairIds)); // great, coffee, tea, then the pair "great coffee" (the unknown pair "coffee tea" is skipped)
        Assert.Equal(pairs.Vocabulary.ToList().IndexOf("great coffee") + 2, pairIds[3]);
    }

    [Fact]
    public void Tokenizer_WithSubwords_CutsUnknownWordsIntoKnownPieces_AndRoundTripsThroughJson()
    {
        // "tasty" and "tea" are words; the words seen once share the start "tast" and the ending "iest".
        string[] texts = ["tasty tea", "tasty tea", "tastiest cake", "tastier pie", "healthiest snack", "oddest iest"];

        var tokenizer = TextTokenizer.Learn(texts, vocabularySize: 400, wordPairs: false, subwords: true);

        Assert.Equal("words+subwords", tokenizer.UnitsName);
        Assert.Contains("tasty", tokenizer.Vocabulary);
        Assert.Contains("tast", tokenizer.Vocabulary); // a start seen in two words
        Assert.Contains("##iest", tokenizer.Vocabulary); // an ending seen in two
        Assert.DoesNotContain("tastiest", tokenizer.Vocabulary); // seen once: not a word of the vocabulary
        // A word never seen: its longest known pieces, left to right; a known word stays whole.
        var units = tokenizer.Units(TextTokenizer.Words("tasty tastiest tea")).ToList();
        Assert.Equal("tasty", units[0]);
        Assert.Equal("tea", units[^1]);
        var pieces = units[1..^1];
        Assert.Equal("tastiest", string.Concat(pieces.Select(p => p.Replace(TextTokenizer.ContinuationMark, string.Empty, StringComparison.Ordinal))));
        Assert.DoesNotContain(TextTokenizer.ContinuationMark, pieces[0], StringComparison.Ordinal);
        Assert.All(pieces.Skip(1), p => Assert.StartsWith(TextTokenizer.ContinuationMark, p, StringComparison.Ordinal));
        Assert.InRange(pieces.Count, 2, 3); // longer pieces than letters
        // A character no training text had is an unknown unit of its own.
        var ids = new long[tokenizer.MaxTokens];
        Assert.Equal(3, tokenizer.Encode("t\u00e9a", ids));
        Assert.Equal(TextTokenizer.Unknown, ids[1]);
        Assert.All(ids.Take(3).Where((_, i) => i != 1), id => Assert.True(id > TextTokenizer.Unknown));

        // What serving reads from the model's metadata tokenizes the same.
        var read = LeptonJson.Deserialize<TextTokenizer>(LeptonJson.Serialize(tokenizer), "tokenizer");
        var again = new long[read.MaxTokens];
        Assert.True(read.Subwords);
        read.Encode("tasty tastiest t\u00e9a", again);
        tokenizer.Encode("tasty tastiest t\u00e9a", ids);
        Assert.Equal(ids, again);

        // A tokenizer stored before subwords existed (no such field) reads as words only.
        var old = LeptonJson.Deserialize<TextTokenizer>("""{"vocabulary": ["a"], "maxTokens": 8, "wordPairs": false}""", "old tokenizer");
        Assert.False(old.Subwords);
    }

    [Fact]
    public void Tokenizer_SplitsWordsAndMarks()
    {
        Assert.Equal(["don't", "stop", "!", "3", "times", "?"], TextTokenizer.Words("Don't STOP!  3 times?"));
    }

    [Fact]
    public void Featurizer_StandardizesNumbers_FlagsMissing_AndOneHotsCategories()
    {
        var columns = new[]
        {
            new TableColumn { Name = "n", Type = ColumnType.Number, Mean = 10, Std = 2, Missing = 1 },
            new TableColumn { Name = "c", Type = ColumnType.Category, Categories = ["x", "y"] },
        };
        var featurizer = new TableFeaturizer(columns);
        var features = new float[featurizer.FeatureCount];

        Assert.Equal(["n", "n (missing)", "c=x", "c=y"], featurizer.FeatureNames);
        featurizer.Featurize(["14", "y"], features);
        Assert.Equal([2f, 0f, 0f, 1f], features);
        featurizer.Featurize([null, "unseen"], features);
        Assert.Equal([0f, 1f, 0f, 0f], features);
        var ex = Assert.Throws<FormatException>(() => featurizer.Featurize(["abc", "x"], features));
        Assert.Contains("column 'n': 'abc' is not a number", ex.Message, StringComparison.Ordinal);
    }
}
