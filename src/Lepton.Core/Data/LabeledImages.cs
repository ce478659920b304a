namespace Lepton.Core.Data;

/// <summary>Images with one class label each.</summary>
public sealed record LabeledImages(ImageArray Images, byte[] Labels)
{
    public int Count => Labels.Length;

    public LabeledImages Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            labels[i] = Labels[indices[i]];
        }

        return new LabeledImages(Images.Select(indices), labels);
    }

    /// <summary>The first <paramref name="count"/> examples (all when count is null or larger).</summary>
    public LabeledImages Take(int? count)
    {
        if (count is null || count >= Count)
        {
            return this;
        }

        return Select(Enumerable.Range(0, count.Value).ToArray());
    }
}
