using Lepton.Inference.Decoding;

namespace Lepton.Inference.Explain;

/// <summary>What occlusion found: the prediction on the whole image and, per pixel, how much hiding it costs.</summary>
/// <param name="Index">The predicted class.</param>
/// <param name="Probabilities">The softmax of the whole image's scores.</param>
/// <param name="Heatmap">H*W values in [0,1]: the drop of the predicted class's probability when a patch covering the pixel is hidden, averaged over those patches, divided by the largest (0 where hiding only helps).</param>
/// <param name="Copies">How many occluded copies were scored (in one run with the original).</param>
public sealed record Saliency(int Index, float[] Probabilities, float[] Heatmap, int Height, int Width, int Copies);

/// <summary>
/// Occlusion sensitivity (Zeiler and Fergus): a square patch of background (0, in every channel) slides over the image;
/// every occluded copy and the original are scored in ONE batch, and a pixel is as important as the
/// predicted class's probability drops when it is hidden.
/// </summary>
public static class Occlusion
{
    public const int DefaultPatch = 4;
    public const int DefaultStride = 2;
    public const int MaxPatch = 14;

    /// <summary>The most images one explanation scores (copies and the original): patch 1, stride 1 on 28x28 is 785.</summary>
    public const int MaxImages = 1024;

    /// <summary>The most values (images x C x H x W) one explanation scores: 16 M floats, 64 MB.</summary>
    public const long MaxValues = 16L << 20;

    /// <summary>Refuses (400) a patch or stride out of bounds, or one that needs more than <see cref="MaxImages"/> images or <see cref="MaxValues"/> values.</summary>
    public static int CopiesFor(int height, int width, int patch, int stride, int channels = 1)
    {
        if (patch < 1 || patch > MaxPatch)
        {
            throw new InputException(InputProblem.Invalid, $"patch must be between 1 and {MaxPatch}, not {patch}");
        }

        if (stride < 1 || stride > patch)
        {
            throw new InputException(InputProblem.Invalid, $"stride must be between 1 and the patch ({patch}), not {stride}");
        }

        if (patch > height || patch > width)
        {
            throw new InputException(InputProblem.Invalid, $"patch {patch} is larger than the image ({height}x{width})");
        }

        int copies = Starts(height, patch, stride).Length * Starts(width, patch, stride).Length;
        return copies + 1 > MaxImages || (copies + 1L) * channels * height * width > MaxValues
            ? throw new InputException(InputProblem.Invalid, $"patch {patch} with stride {stride} makes {copies} occluded copies of a {channels}x{height}x{width} image; at most {MaxImages - 1} copies and {MaxValues} values are scored: use a larger stride")
            : copies;
    }

    /// <summary>Explains one image (C*H*W values, plane after plane) with <paramref name="run"/>: (pixels of n images, n) to scores [n, classes]. The heatmap is H*W: a patch hides every channel.</summary>
    public static Saliency Explain(Func<float[], int, float[]> run, float[] image, int height, int width, int patch = DefaultPatch, int stride = DefaultStride, int channels = 1)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(image);
        int plane = height * width, values = channels * plane;
        if (image.Length != values)
        {
            throw new ArgumentException($"{image.Length} values are not one {channels}x{height}x{width} image", nameof(image));
        }

        int copies = CopiesFor(height, width, patch, stride, channels);
        int[] ys = Starts(height, patch, stride), xs = Starts(width, patch, stride);
        var batch = new float[(copies + 1) * values];
        for (int n = 0; n <= copies; n++)
        {
            image.CopyTo(batch, n * values);
        }

        for (int k = 0; k < copies; k++)
        {
            int top = ys[k / xs.Length], left = xs[k % xs.Length];
            for (int c = 0; c < channels; c++)
            {
                int offset = ((k + 1) * values) + (c * plane);
                for (int y = top; y < top + patch; y++)
                {
                    Array.Clear(batch, offset + (y * width) + left, patch);
                }
            }
        }

        float[] scores = run(batch, copies + 1);
        int classes = scores.Length / (copies + 1);
        if (classes < 1 || scores.Length != (copies + 1) * classes)
        {
            throw new InvalidDataException($"{scores.Length} scores for {copies + 1} images");
        }

        float[] original = Softmax(scores.AsSpan(0, classes));
        int index = 0;
        for (int c = 1; c < classes; c++)
        {
            if (original[c] > original[index])
            {
                index = c;
            }
        }

        var sum = new double[plane];
        var cover = new int[plane];
        for (int k = 0; k < copies; k++)
        {
            double drop = original[index] - Softmax(scores.AsSpan((k + 1) * classes, classes))[index];
            int top = ys[k / xs.Length], left = xs[k % xs.Length];
            for (int y = top; y < top + patch; y++)
            {
                for (int x = left; x < left + patch; x++)
                {
                    sum[(y * width) + x] += drop;
                    cover[(y * width) + x]++;
                }
            }
        }

        var heatmap = new float[plane];
        double max = 0;
        for (int i = 0; i < plane; i++)
        {
            double mean = cover[i] > 0 ? Math.Max(0, sum[i] / cover[i]) : 0;
            heatmap[i] = (float)mean;
            max = Math.Max(max, mean);
        }

        if (max > 0)
        {
            for (int i = 0; i < plane; i++)
            {
                heatmap[i] = (float)Math.Min(1, heatmap[i] / max);
            }
        }

        return new Saliency(index, original, heatmap, height, width, copies);
    }

    /// <summary>Patch positions along one axis: every stride, and the last one flush with the edge so every pixel is covered.</summary>
    private static int[] Starts(int size, int patch, int stride)
    {
        var starts = new List<int>();
        for (int s = 0; s + patch <= size; s += stride)
        {
            starts.Add(s);
        }

        if (starts.Count == 0 || starts[^1] != size - patch)
        {
            starts.Add(size - patch);
        }

        return [.. starts];
    }

    private static float[] Softmax(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }

        var result = new float[logits.Length];
        double total = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            result[c] = MathF.Exp(logits[c] - max);
            total += result[c];
        }

        for (int c = 0; c < logits.Length; c++)
        {
            result[c] = (float)(result[c] / total);
        }

        return result;
    }
}
