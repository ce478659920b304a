namespace Lepton.Inference;

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

    /// <summary>
    /// Inputs far outside the model's range (3e38 where [0,1] is meant) overflow to infinite or NaN
    /// scores: that is the client's input, answered 400, not a server fault.
    /// </summary>
    public static void EnsureFinite(ReadOnlySpan<float> logits)
    {
        foreach (float v in logits)
        {
            if (!float.IsFinite(v))
            {
                throw new Decoding.InputException(Decoding.InputProblem.Invalid, "the model's scores for this input are not finite numbers: input values must be in the model's range (pixels in [0,1])");
            }
        }
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
