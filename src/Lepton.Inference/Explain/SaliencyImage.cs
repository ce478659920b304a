using System.Runtime.InteropServices;
using SkiaSharp;

namespace Lepton.Inference.Explain;

/// <summary>A saliency heatmap over its image as a PNG: the image (gray or in colour), the heatmap in colour on top, enlarged.</summary>
public static class SaliencyImage
{
    public const int DefaultScale = 8;

    /// <summary>The enlargement when none is given: 8x for 28x28, less for larger models (at least 1x, about 224 pixels a side).</summary>
    public static int ScaleFor(int height, int width) => Math.Max(1, DefaultScale * 28 / Math.Max(height, width));

    /// <param name="image">C*H*W values in [0,1] (the model's input, plane after plane; C is 1 or 3).</param>
    /// <param name="heatmap">H*W values in [0,1].</param>
    public static byte[] ToPng(ReadOnlySpan<float> image, ReadOnlySpan<float> heatmap, int height, int width, int channels = 1, int? scale = null)
    {
        int plane = height * width;
        if (channels is not (1 or 3) || image.Length != channels * plane || heatmap.Length != plane)
        {
            throw new ArgumentException($"{image.Length} pixels and {heatmap.Length} heat values are not {channels}x{height}x{width}");
        }

        var rgba = new byte[plane * 4];
        for (int i = 0; i < plane; i++)
        {
            float heat = Math.Clamp(heatmap[i], 0f, 1f);
            var (r, g, b) = Inferno(heat);
            float alpha = 0.15f + (0.7f * heat);
            for (int c = 0; c < 3; c++)
            {
                float under = Math.Clamp(image[(channels == 1 ? 0 : c * plane) + i], 0f, 1f) * 0.8f;
                float over = c switch { 0 => r, 1 => g, _ => b };
                rgba[(i * 4) + c] = ToByte((under * (1 - alpha)) + (over * alpha));
            }

            rgba[(i * 4) + 3] = 255;
        }

        int enlarge = scale ?? ScaleFor(height, width);

        using var small = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Marshal.Copy(rgba, 0, small.GetPixels(), rgba.Length);
        using var large = new SKBitmap(new SKImageInfo(width * enlarge, height * enlarge, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        small.ScalePixels(large, new SKSamplingOptions(SKFilterMode.Nearest));
        using var encoded = SKImage.FromBitmap(large).Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    private static byte ToByte(float v) => (byte)Math.Round(Math.Clamp(v, 0f, 1f) * 255f);

    /// <summary>A short approximation of the inferno colour map: black, purple, red, orange, yellow.</summary>
    private static (float R, float G, float B) Inferno(float t)
    {
        ReadOnlySpan<float> stops = [0.00f, 0.00f, 0.02f, 0.34f, 0.06f, 0.43f, 0.73f, 0.21f, 0.33f, 0.97f, 0.55f, 0.04f, 0.99f, 1.00f, 0.64f];
        float at = t * 4;
        int i = Math.Min(3, (int)at);
        float f = at - i;
        return (
            stops[i * 3] + ((stops[(i + 1) * 3] - stops[i * 3]) * f),
            stops[(i * 3) + 1] + ((stops[((i + 1) * 3) + 1] - stops[(i * 3) + 1]) * f),
            stops[(i * 3) + 2] + ((stops[((i + 1) * 3) + 2] - stops[(i * 3) + 2]) * f));
    }
}
