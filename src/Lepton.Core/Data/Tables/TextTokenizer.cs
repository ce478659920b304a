using System.Globalization;
using System.Text;

namespace Lepton.Core.Data.Tables;

/// <summary>
/// Text to token ids, learned from the training split and stored in the model (ONNX metadata
/// <see cref="MetadataKey"/>), so serving tokenizes exactly as training did. Units: words (letters,
/// digits and apostrophes, lowercased; '!' and '?' are words of their own), and with
/// <see cref="WordPairs"/> also each pair of neighbouring words (after the words). Id 0 pads, 1 is
/// an unknown unit, a vocabulary entry i is id i + 2. Every text becomes exactly <see cref="MaxTokens"/>
/// ids: cut after that many, padded with 0.
/// </summary>
public sealed record TextTokenizer(IReadOnlyList<string> Vocabulary, int MaxTokens, bool WordPairs)
{
    public const string MetadataKey = "lepton.tokenizer";
    public const long Pad = 0;
    public const long Unknown = 1;
    public const int DefaultVocabularySize = 20_000;

    private Dictionary<string, long>? _ids;

    private Dictionary<string, long> Ids => _ids ??= Vocabulary.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => (long)p.i + 2, StringComparer.Ordinal);

    /// <summary>Ids in use: the vocabulary plus pad and unknown.</summary>
    public int IdCount => Vocabulary.Count + 2;

    /// <summary>The words of a text, lowercased.</summary>
    public static List<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char raw in text)
        {
            char c = char.ToLowerInvariant(raw);
            if (char.IsLetterOrDigit(c) || (c is '\'' && word.Length > 0))
            {
                word.Append(c);
                continue;
            }

            if (word.Length > 0)
            {
                words.Add(word.ToString().TrimEnd('\''));
                word.Clear();
            }

            if (c is '!' or '?')
            {
                words.Add(c.ToString());
            }
        }

        if (word.Length > 0)
        {
            words.Add(word.ToString().TrimEnd('\''));
        }

        return words;
    }

    /// <summary>The units of a text: its words, then (with word pairs) each neighbouring pair.</summary>
    public IEnumerable<string> Units(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        foreach (string w in words)
        {
            yield return w;
        }

        if (WordPairs)
        {
            for (int i = 0; i + 1 < words.Count; i++)
            {
                yield return words[i] + " " + words[i + 1];
            }
        }
    }

    /// <summary>Writes the text's <see cref="MaxTokens"/> ids into <paramref name="ids"/>; returns how many are not padding.</summary>
    public int Encode(string text, Span<long> ids)
    {
        if (ids.Length != MaxTokens)
        {
            throw new ArgumentException($"{ids.Length} ids, the tokenizer writes {MaxTokens}");
        }

        ids.Clear();
        var words = Words(text);
        int n = 0;
        // Words first, then pairs, so a long text keeps its words.
        foreach (string unit in Units(words))
        {
            if (n == MaxTokens)
            {
                break;
            }

            if (unit.Contains(' ', StringComparison.Ordinal))
            {
                if (Ids.TryGetValue(unit, out long pair))
                {
                    ids[n++] = pair; // unknown pairs are skipped: they say nothing a word does not
                }
            }
            else
            {
                ids[n++] = Ids.TryGetValue(unit, out long id) ? id : Unknown;
            }
        }

        return n;
    }

    /// <summary>Ids [texts.Count, MaxTokens].</summary>
    public long[] Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new long[texts.Count * MaxTokens];
        for (int i = 0; i < texts.Count; i++)
        {
            Encode(texts[i], ids.AsSpan(i * MaxTokens, MaxTokens));
        }

        return ids;
    }

    /// <summary>
    /// Learns a vocabulary from training texts: the <paramref name="vocabularySize"/> most frequent words
    /// seen at least twice (and with <paramref name="wordPairs"/> up to half as many pairs seen at least
    /// twice), and a length that holds 95% of the texts whole (8 to 512 ids).
    /// </summary>
    public static TextTokenizer Learn(IReadOnlyList<string> texts, int vocabularySize, bool wordPairs, int maxLength = 512)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var pairs = new Dictionary<string, int>(StringComparer.Ordinal);
        var lengths = new List<int>(texts.Count);
        foreach (string text in texts)
        {
            var w = Words(text);
            lengths.Add(wordPairs ? Math.Max(0, (2 * w.Count) - 1) : w.Count);
            foreach (string word in w)
            {
                words[word] = words.GetValueOrDefault(word) + 1;
            }

            if (wordPairs)
            {
                for (int i = 0; i + 1 < w.Count; i++)
                {
                    string pair = w[i] + " " + w[i + 1];
                    pairs[pair] = pairs.GetValueOrDefault(pair) + 1;
                }
            }
        }

        static IEnumerable<string> Top(Dictionary<string, int> counts, int n) =>
            counts.Where(kv => kv.Value >= 2).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n).Select(kv => kv.Key);
        var vocabulary = Top(words, vocabularySize).Concat(wordPairs ? Top(pairs, vocabularySize / 2) : []).ToArray();
        lengths.Sort();
        int p95 = lengths.Count == 0 ? 8 : lengths[Math.Min(lengths.Count - 1, (int)Math.Ceiling(lengths.Count * 0.95) - 1)];
        return new TextTokenizer(vocabulary, Math.Clamp(p95, 8, maxLength), wordPairs);
    }

    /// <summary>A short description for logs and cards.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Vocabulary.Count} units ({(WordPairs ? "words and word pairs" : "words")}), {MaxTokens} tokens a text");
}
