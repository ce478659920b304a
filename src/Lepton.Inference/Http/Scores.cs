namespace Lepton.Inference.Http;

/// <summary>Softmax and top-k over rows of logits.</summary>
public static class Scores
{
    public static float[] Softmax(ReadOnlySpan<float> logits, int classes)
    {
        var result = new float[logits.Length];
        for (int row = 0; row < logits.Length / classes; row++)
        {
            var input = logits.Slice(row * classes, classes);
            var output = result.AsSpan(row * classes, classes);
            float max = float.NegativeInfinity;
            foreach (float v in input)
            {
                max = Math.Max(max, v);
            }

            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                output[c] = MathF.Exp(input[c] - max);
                sum += output[c];
            }

            for (int c = 0; c < classes; c++)
            {
                output[c] = (float)(output[c] / sum);
            }
        }

        return result;
    }

    /// <summary>The indices of the k largest values of one row, largest first.</summary>
    public static int[] TopK(ReadOnlySpan<float> row, int k)
    {
        var indices = Enumerable.Range(0, row.Length).ToArray();
        var values = row.ToArray();
        Array.Sort(values.Select(v => -v).ToArray(), indices);
        return indices[..Math.Min(k, indices.Length)];
    }
}
