using Lepton.Core.Contracts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lepton.Training.Models;

/// <summary>
/// A bag of words and word pairs, fastText style: each unit's embedding, averaged over the text's units
/// (padding masked out), then a dense layer to the classes. Input: token ids int64 [N,T], 0 pads.
/// </summary>
public sealed class TextBowClassifier : nn.Module<Tensor, Tensor>
{
    public const int EmbeddingSize = 64;

    /// <summary>Dropout on the averaged embedding while training (the identity in evaluation and in ONNX).</summary>
    public const double DropoutRate = 0.5;

    private readonly Embedding embedding;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public TextBowClassifier(ModelOptions options) : base(nameof(TextBowClassifier))
    {
        ArgumentNullException.ThrowIfNull(options);
        embedding = nn.Embedding(options.TokenIds, EmbeddingSize, padding_idx: 0);
        dropout = nn.Dropout(DropoutRate);
        classifier = nn.Linear(EmbeddingSize, options.Classes);
        RegisterComponents();
    }

    public Embedding Embedding => embedding;

    public Linear Classifier => classifier;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var mask = input.gt(0).to(ScalarType.Float32).unsqueeze(2); // [N,T,1]
        var summed = (embedding.call(input) * mask).sum(1);
        var count = mask.sum(1).clamp_min(1f);
        return classifier.call(dropout.call(summed / count)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The founding paper's RNN for language: token embeddings, one bidirectional GRU or LSTM layer, the
/// outputs pooled over the text (mean and max, padding masked out), a dense layer to the classes.
/// Every text is padded to the same T, in training and serving alike, so the reverse direction sees the
/// same steps in both.
/// </summary>
public sealed class TextRecurrentClassifier : nn.Module<Tensor, Tensor>
{
    public const int EmbeddingSize = 64;

    /// <summary>Added to padded steps before the max pool, so that they never win it.</summary>
    public const float MaskPenalty = 10_000f;

    private readonly Embedding embedding;
    private readonly nn.Module recurrent;
    private readonly Linear classifier;

    public TextRecurrentClassifier(RecurrentCell cell, ModelOptions options) : base(nameof(TextRecurrentClassifier))
    {
        ArgumentNullException.ThrowIfNull(options);
        Cell = cell;
        HiddenSize = options.HiddenSize;
        embedding = nn.Embedding(options.TokenIds, EmbeddingSize, padding_idx: 0);
        recurrent = cell == RecurrentCell.Gru
            ? nn.GRU(EmbeddingSize, HiddenSize, batchFirst: true, bidirectional: true)
            : nn.LSTM(EmbeddingSize, HiddenSize, batchFirst: true, bidirectional: true);
        classifier = nn.Linear(4L * HiddenSize, options.Classes);
        RegisterComponents();
    }

    public RecurrentCell Cell { get; }

    public int HiddenSize { get; }

    public Embedding Embedding => embedding;

    public Linear Classifier => classifier;

    /// <summary>A recurrent weight or bias by its PyTorch name, e.g. <c>weight_ih_l0_reverse</c>.</summary>
    public Tensor RecurrentParameter(string name) => RecurrentClassifier.Parameter(recurrent, name);

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var mask = input.gt(0).to(ScalarType.Float32).unsqueeze(2); // [N,T,1]
        var x = embedding.call(input);
        var output = recurrent switch
        {
            GRU gru => gru.call(x).Item1,
            LSTM lstm => lstm.call(x).Item1,
            _ => throw new InvalidOperationException("unknown recurrent layer"),
        }; // [N,T,2H]
        var mean = (output * mask).sum(1) / mask.sum(1).clamp_min(1f);
        var max = (output + ((mask - 1f) * MaskPenalty)).amax(1);
        return classifier.call(torch.cat([mean, max], 1)).MoveToOuterDisposeScope();
    }
}

/// <summary>The text and table families.</summary>
public static class RowFamilies
{
    public const int DefaultTextHiddenSize = 64;

    /// <summary>The most steps a recurrent text model reads (a text's first words).</summary>
    public const int RecurrentMaxTokens = 128;

    /// <summary>
    /// text-bow's weight decay (AdamW): a bag of embeddings otherwise memorises the words of its training texts
    /// (on the reviews benchmark: 0.798 without, 0.807 with 1.0 at lr 0.01, 5 epochs; docs/benchmarks.md).
    /// </summary>
    public const double TextBowWeightDecay = 1.0;

    public static readonly Architecture TextBow = new(
        "text-bow",
        "text: average of word and word-pair embeddings (64), dense classes (fastText style); AdamW, weight decay 1",
        options => new TextBowClassifier(options),
        WeightDecay: TextBowWeightDecay);

    public static readonly Architecture TextGru = new(
        "text-gru",
        "text: word embeddings (64), a bidirectional GRU (hidden 64 by default), mean and max pooling, dense classes",
        options => new TextRecurrentClassifier(RecurrentCell.Gru, options),
        Schedule: LearningRateSchedule.Cosine);

    public static readonly Architecture TextLstm = new(
        "text-lstm",
        "text: word embeddings (64), a bidirectional LSTM (hidden 64 by default), mean and max pooling, dense classes",
        options => new TextRecurrentClassifier(RecurrentCell.Lstm, options),
        Schedule: LearningRateSchedule.Cosine);

    public static readonly Architecture TabularMlp = new(
        "tabular-mlp",
        "table: standardized numbers, one-hot categories, missing-value indicators; dense 128, dense 64, dense classes",
        CreateTabularMlp);

    /// <summary>Whether the family reads token ids (its tokenizer uses word pairs: text-bow only).</summary>
    public static bool UsesWordPairs(string architecture) => architecture == TextBow.Name;

    private static nn.Module<Tensor, Tensor> CreateTabularMlp(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return nn.Sequential(
            ("fc1", nn.Linear(options.Features, 128)),
            ("relu1", nn.ReLU()),
            ("dropout1", nn.Dropout(0.2)),
            ("fc2", nn.Linear(128, 64)),
            ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(64, options.Classes)));
    }
}
