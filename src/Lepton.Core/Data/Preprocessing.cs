namespace Lepton.Core.Data;

/// <summary>Mean and standard deviation of pixel values scaled to [0,1].</summary>
public sealed record Normalization(float Mean, float Std)
{
    /// <summary>Statistics over every pixel of the given images (compute them on the training split only).</summary>
    public static Normalization Compute(ImageArray images)
    {
        ArgumentNullException.ThrowIfNull(images);
        double sum = 0, sumSq = 0;
        foreach (byte b in images.Pixels)
        {
            double v = b / 255.0;
            sum += v;
            sumSq += v * v;
        }

        double n = images.Pixels.Length;
        double mean = sum / n;
        double variance = Math.Max(0, (sumSq / n) - (mean * mean));
        double std = Math.Sqrt(variance);
        return new Normalization((float)mean, (float)(std < 1e-6 ? 1.0 : std));
    }
}

/// <summary>A stratified split: each class is divided in the same proportion, reproducibly for a seed.</summary>
public static class StratifiedSplit
{
    public static (int[] Train, int[] Validation) Split(IReadOnlyList<byte> labels, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (validationFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");
        }

        var random = new Random(seed);
        var train = new List<int>(labels.Count);
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            int[] members = group.ToArray();
            random.Shuffle(members);
            int take = (int)Math.Round(members.Length * validationFraction);
            validation.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }

        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }
}
