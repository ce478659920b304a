using SkiaSharp;

namespace Lepton.Tests;

/// <summary>Encodes test images as PNG or JPEG with SkiaSharp.</summary>
internal static class ImageFiles
{
    /// <summary>Encodes grayscale values in [0,1] (row-major, width x height).</summary>
    public static byte[] Encode(float[] gray, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png, byte alpha = 255)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte v = (byte)Math.Clamp(MathF.Round(gray[(y * width) + x] * 255f), 0, 255);
                bitmap.SetPixel(x, y, new SKColor(v, v, v, alpha));
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
    }

    /// <summary>Encodes a colour picture: <paramref name="pixel"/> gives each (x, y) its colour, alpha included.</summary>
    public static byte[] EncodeColor(Func<int, int, SKColor> pixel, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, pixel(x, y));
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
    }

    /// <summary>Bytes of the MNIST-style 28x28 image as a "photo": dark object on a light background, scaled up.</summary>
    public static byte[] AsPhoto(float[] mnist28, int scale = 4)
    {
        int size = 28 * scale;
        var photo = new float[size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                photo[(y * size) + x] = 1f - mnist28[((y / scale) * 28) + (x / scale)];
            }
        }

        return Encode(photo, size, size);
    }
}
