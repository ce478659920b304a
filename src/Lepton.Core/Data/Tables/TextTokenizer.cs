using System.Globalization;
using System.Text;

namespace Lepton.Core.Data.Tables;

/// <summary>
/// Text to token ids, learned from the training split and stored in the model (ONNX metadata
/// <see cref="MetadataKey"/>), so serving tokenizes exactly as training did. Units: words (letters,
/// digits and apostrophes, lowercased; '!' and '?' are words of their own); with <see cref="Subwords"/>
/// a word outside the vocabulary is cut into the longest known pieces, WordPiece style (a word's first
/// piece as is, the following ones marked <see cref="ContinuationMark"/>: "tastiest" may become "tast",
/// "##iest"), so a misspelt or unseen form still says something; and with <see cref="WordPairs"/> also
/// each pair of neighbouring words (after the words). Id 0 pads, 1 is an unknown unit, a vocabulary entry
/// i is id i + 2. Every text becomes exactly <see cref="MaxTokens"/> ids: cut after that many, padded with 0.
/// </summary>
public sealed record TextTokenizer(IReadOnlyList<string> Vocabulary, int MaxTokens, bool WordPairs, bool Subwords = false)
{
    /// <summary>Marks a piece that continues a word (not its start).</summary>
    public const string ContinuationMark = "##";

    /// <summary>The longest piece, in characters.</summary>
    public const int MaxPieceLength = 6;

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
            if (!Subwords || Ids.ContainsKey(w))
            {
                yield return w;
                continue;
            }

            foreach (string piece in Pieces(w))
            {
                yield return piece;
            }
        }

        if (WordPairs)
        {
            for (int i = 0; i + 1 < words.Count; i++)
            {
                yield return words[i] + " " + words[i + 1];
            }
        }
    }

    /// <summary>
    /// A word outside the vocabulary as its longest known pieces, left to right; a character no piece
    /// covers is an unknown unit of its own.
    /// </summary>
    private IEnumerable<string> Pieces(string word)
    {
        for (int start = 0; start < word.Length;)
        {
            int length = Math.Min(MaxPieceLength, word.Length - start);
            string? found = null;
            for (; length > 0; length--)
            {
                string piece = Piece(word, start, length);
                if (Ids.ContainsKey(piece))
                {
                    found = piece;
                    break;
                }
            }

            yield return found ?? UnknownUnit;
            start += Math.Max(length, 1);
        }
    }

    private static string Piece(string word, int start, int length) =>
        start == 0 ? word[..length] : string.Concat(ContinuationMark, word.AsSpan(start, length));

    /// <summary>How the text is cut, for the model's signature.</summary>
    public string UnitsName => (Subwords ? "words+subwords" : "words") + (WordPairs ? "+pairs" : string.Empty);

    // A unit that is never in the vocabulary (it holds a space and no pair is empty): encoded as Unknown.
    private const string UnknownUnit = " ";

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

            if (unit.Length > 1 && unit.Contains(' ', StringComparison.Ordinal))
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
    /// seen at least twice; with <paramref name="subwords"/> up to a quarter as many pieces (every
    /// character, then the most frequent word starts and continuations of 2 to <see cref="MaxPieceLength"/>
    /// characters, counted over the words seen once: the ones a vocabulary of words misses); with
    /// <paramref name="wordPairs"/> up to half as many pairs seen at least twice. The length holds 95% of
    /// the texts whole (8 to <paramref name="maxLength"/> ids).
    /// </summary>
    public static TextTokenizer Learn(IReadOnlyList<string> texts, int vocabularySize, bool wordPairs, bool subwords = false, int maxLength = 512)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var pairs = new Dictionary<string, int>(StringComparer.Ordinal);
        var split = new List<List<string>>(texts.Count);
        foreach (string text in texts)
        {
            var w = Words(text);
            split.Add(w);
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

        static IEnumerable<string> Top(Dictionary<string, int> counts, int n, int atLeast = 2) =>
            counts.Where(kv => kv.Value >= atLeast).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n).Select(kv => kv.Key);
        var known = Top(words, vocabularySize).ToArray();
        var vocabulary = new List<string>(known);
        if (subwords)
        {
            vocabulary.AddRange(LearnPieces(words, new HashSet<string>(known, StringComparer.Ordinal), vocabularySize / 4));
        }

        if (wordPairs)
        {
            vocabulary.AddRange(Top(pairs, vocabularySize / 2));
        }

        var learned = new TextTokenizer(vocabulary.Distinct(StringComparer.Ordinal).ToArray(), maxLength, wordPairs, subwords);
        var lengths = split.Select(w => learned.Units(w).Count()).ToList();
        lengths.Sort();
        int p95 = lengths.Count == 0 ? 8 : lengths[Math.Min(lengths.Count - 1, (int)Math.Ceiling(lengths.Count * 0.95) - 1)];
        return learned with { MaxTokens = Math.Clamp(p95, 8, maxLength) };
    }

    /// <summary>
    /// The pieces: every character seen (as a start and as a continuation, so any word of known letters
    /// can be cut), then the most frequent longer starts and continuations within the words outside
    /// <paramref name="known"/>, each counted once a word occurrence, kept when seen at least twice.
    /// </summary>
    private static IEnumerable<string> LearnPieces(Dictionary<string, int> words, HashSet<string> known, int budget)
    {
        var characters = new SortedSet<string>(StringComparer.Ordinal);
        var pieces = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (word, count) in words)
        {
            foreach (char c in word)
            {
                characters.Add(c.ToString());
            }

            if (known.Contains(word))
            {
                continue;
            }

            for (int start = 0; start < word.Length; start++)
            {
                for (int length = 2; length <= MaxPieceLength && start + length <= word.Length; length++)
                {
                    string piece = Piece(word, start, length);
                    pieces[piece] = pieces.GetValueOrDefault(piece) + count;
                }
            }
        }

        var singles = characters.SelectMany(c => new[] { c, ContinuationMark + c }).ToList();
        int longer = Math.Max(0, budget - singles.Count);
        return singles.Concat(pieces.Where(kv => kv.Value >= 2).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(longer).Select(kv => kv.Key));
    }

    /// <summary>A short description for logs and cards.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Vocabulary.Count} units ({UnitsName}), {MaxTokens} tokens a text");
}
