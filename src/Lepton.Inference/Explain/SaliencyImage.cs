using System.Runtime.InteropServices;
using SkiaSharp;

namespace Lepton.Inference.Explain;

/// <summary>A saliency heatmap over its image as a PNG: the image in gray, the heatmap in colour on top, enlarged.</summary>
public static class SaliencyImage
{
    public const int DefaultScale = 8;

    /// <param name="image">H*W values in [0,1] (the model's input).</param>
    /// <param name="heatmap">H*W values in [0,1].</param>
    public static byte[] ToPng(ReadOnlySpan<float> image, ReadOnlySpan<float> heatmap, int height, int width, int scale = DefaultScale)
    {
        if (image.Length != height * width || heatmap.Length != image.Length)
        {
            throw new ArgumentException($"{image.Length} pixels and {heatmap.Length} heat values are not {height}x{width}");
        }

        var rgba = new byte[height * width * 4];
        for (int i = 0; i < image.Length; i++)
        {
            float gray = Math.Clamp(image[i], 0f, 1f) * 0.8f;
            float heat = Math.Clamp(heatmap[i], 0f, 1f);
            var (r, g, b) = Inferno(heat);
            float alpha = 0.15f + (0.7f * heat);
            rgba[(i * 4) + 0] = ToByte((gray * (1 - alpha)) + (r * alpha));
            rgba[(i * 4) + 1] = ToByte((gray * (1 - alpha)) + (g * alpha));
            rgba[(i * 4) + 2] = ToByte((gray * (1 - alpha)) + (b * alpha));
            rgba[(i * 4) + 3] = 255;
        }

        using var small = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Marshal.Copy(rgba, 0, small.GetPixels(), rgba.Length);
        using var large = new SKBitmap(new SKImageInfo(width * scale, height * scale, SKColorType.Rgba8888, SKAlphaType.Unpremul));
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
