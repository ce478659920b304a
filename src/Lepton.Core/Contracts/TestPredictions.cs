namespace Lepton.Core.Contracts;

/// <summary>
/// predictions.json of a training run: for every test image, in test-set order, its true class, the
/// class ONNX Runtime predicted and that class's probability. What a model card's grid of the most
/// confidently wrong images is made from.
/// </summary>
public sealed record TestPredictions(
    IReadOnlyList<int> Actual,
    IReadOnlyList<int> Predicted,
    IReadOnlyList<float> Confidence)
{
    /// <summary>Text and table models: each test example as the card shows it (the text cut short, or column=value pairs).</summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>From scores [count, classes] (logits) and the true labels.</summary>
    public static TestPredictions FromLogits(ReadOnlySpan<byte> actual, ReadOnlySpan<float> logits, int classes)
    {
        int count = actual.Length;
        if (logits.Length != count * classes)
        {
            throw new ArgumentException($"{logits.Length} scores for {count} images of {classes} classes");
        }

        var predicted = new int[count];
        var confidence = new float[count];
        for (int i = 0; i < count; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                sum += Math.Exp(row[c] - row[best]);
            }

            predicted[i] = best;
            confidence[i] = (float)Math.Round(1 / sum, 5);
        }

        return new TestPredictions(actual.ToArray().Select(b => (int)b).ToArray(), predicted, confidence);
    }
}
