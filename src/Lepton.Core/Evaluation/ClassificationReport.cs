namespace Lepton.Core.Evaluation;

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Accuracy, per-class metrics and the confusion matrix (rows: actual, columns: predicted).</summary>
public sealed record ClassificationReport(
    int Examples,
    double Accuracy,
    double MacroF1,
    IReadOnlyList<ClassMetrics> Classes,
    int[][] ConfusionMatrix)
{
    public static ClassificationReport Compute(ReadOnlySpan<byte> actual, ReadOnlySpan<int> predicted, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (actual.Length != predicted.Length)
        {
            throw new ArgumentException($"{actual.Length} labels but {predicted.Length} predictions");
        }

        int k = labels.Count;
        var matrix = new int[k][];
        for (int i = 0; i < k; i++)
        {
            matrix[i] = new int[k];
        }

        int correct = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            int p = predicted[i];
            if (p < 0 || p >= k)
            {
                throw new ArgumentOutOfRangeException(nameof(predicted), $"prediction {p} is not a class 0..{k - 1}");
            }

            matrix[actual[i]][p]++;
            if (actual[i] == p)
            {
                correct++;
            }
        }

        var classes = new ClassMetrics[k];
        for (int c = 0; c < k; c++)
        {
            int tp = matrix[c][c];
            int support = matrix[c].Sum();
            int predictedAs = 0;
            for (int r = 0; r < k; r++)
            {
                predictedAs += matrix[r][c];
            }

            double precision = predictedAs == 0 ? 0 : (double)tp / predictedAs;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            classes[c] = new ClassMetrics(labels[c], precision, recall, f1, support);
        }

        double accuracy = actual.Length == 0 ? 0 : (double)correct / actual.Length;
        return new ClassificationReport(actual.Length, accuracy, classes.Average(m => m.F1), classes, matrix);
    }

    /// <summary>The index of the largest of each row of <paramref name="scores"/> ([n, classes], row-major).</summary>
    public static int[] ArgMax(ReadOnlySpan<float> scores, int classes)
    {
        int n = scores.Length / classes;
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            var row = scores.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            result[i] = best;
        }

        return result;
    }
}
