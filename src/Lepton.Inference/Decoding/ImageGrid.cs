using System.Runtime.InteropServices;
using SkiaSharp;

namespace Lepton.Inference.Decoding;

/// <summary>Images [N,C,H,W] with values in [0,1] (C = 1 or 3) laid out as one PNG grid, row by row.</summary>
public static class ImageGrid
{
    public const int Padding = 2;

    public static byte[] ToPng(ReadOnlySpan<float> images, int count, int channels, int height, int width, int? columns = null)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"a grid takes 1 or 3 channels, not {channels}", nameof(channels));
        }

        if (count < 1 || images.Length != count * channels * height * width)
        {
            throw new ArgumentException($"{images.Length} values are not {count} images of {channels}x{height}x{width}", nameof(images));
        }

        int cols = columns ?? (int)Math.Ceiling(Math.Sqrt(count));
        int rows = (count + cols - 1) / cols;
        int gridWidth = (cols * (width + Padding)) + Padding;
        int gridHeight = (rows * (height + Padding)) + Padding;
        var rgba = new byte[gridWidth * gridHeight * 4];
        for (int i = 3; i < rgba.Length; i += 4)
        {
            rgba[i] = 255; // opaque black background
        }

        int plane = height * width;
        for (int n = 0; n < count; n++)
        {
            int top = Padding + ((n / cols) * (height + Padding));
            int left = Padding + ((n % cols) * (width + Padding));
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int at = (((top + y) * gridWidth) + left + x) * 4;
                    for (int c = 0; c < 3; c++)
                    {
                        float v = images[(n * channels * plane) + ((channels == 1 ? 0 : c) * plane) + (y * width) + x];
                        rgba[at + c] = (byte)Math.Round(Math.Clamp(v, 0f, 1f) * 255f);
                    }
                }
            }
        }

        using var bitmap = new SKBitmap(new SKImageInfo(gridWidth, gridHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
