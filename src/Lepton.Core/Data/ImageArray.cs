namespace Lepton.Core.Data;

/// <summary>Images as bytes, [C,H,W] each (planes of rows; C is 1 for gray, 3 for RGB), one image after another.</summary>
public sealed record ImageArray(byte[] Pixels, int Count, int Rows, int Columns, int Channels = 1)
{
    /// <summary>Values per image (C*H*W).</summary>
    public int PixelsPerImage => Channels * Rows * Columns;

    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);

    /// <summary>The images at the given indices, in that order.</summary>
    public ImageArray Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var pixels = new byte[indices.Count * PixelsPerImage];
        for (int i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * PixelsPerImage));
        }

        return new ImageArray(pixels, indices.Count, Rows, Columns, Channels);
    }

    /// <summary>Every image mirrored left-right (each row of each plane reversed).</summary>
    public ImageArray MirroredLeftRight()
    {
        var pixels = new byte[Pixels.Length];
        for (int row = 0; row < Pixels.Length / Columns; row++)
        {
            var source = Pixels.AsSpan(row * Columns, Columns);
            var target = pixels.AsSpan(row * Columns, Columns);
            source.CopyTo(target);
            target.Reverse();
        }

        return this with { Pixels = pixels };
    }

    /// <summary>Pixels scaled to [0,1] as float32, the model contract's input.</summary>
    public float[] ToScaledFloats() => ToScaledFloats(0, Count);

    /// <summary>The pixels of <paramref name="count"/> images from <paramref name="start"/>, scaled to [0,1] (a batch of the model contract's input).</summary>
    public float[] ToScaledFloats(int start, int count)
    {
        var source = Pixels.AsSpan(start * PixelsPerImage, count * PixelsPerImage);
        var result = new float[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            result[i] = source[i] / 255f;
        }

        return result;
    }
}
