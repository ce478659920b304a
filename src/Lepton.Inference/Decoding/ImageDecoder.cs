using Lepton.Inference.Runtime;
using SkiaSharp;

namespace Lepton.Inference.Decoding;

/// <summary>A request body that is not a usable image; <see cref="StatusCode"/> says which 4xx.</summary>
public sealed class InputException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// Turns a PNG or JPEG into the model contract's input: grayscale, fitted (aspect kept, padded with the
/// border's colour) into the model's height and width, scaled to [0,1], and inverted when its border is
/// light (photos: dark object on light background; the models were trained on the opposite).
/// </summary>
public static class ImageDecoder
{
    public static float[] Decode(byte[] data, int height, int width, ImageInversion inversion, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var codec = SKCodec.Create(new SKMemoryStream(data))
            ?? throw new InputException(415, "the body is not an image this server can decode (PNG or JPEG)");
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
        {
            throw new InputException(415, $"image format {codec.EncodedFormat} is not supported: send PNG or JPEG");
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new InputException(400, "the image has no pixels");
        }

        if ((long)info.Width * info.Height > maxPixels)
        {
            throw new InputException(413, $"the image is {info.Width}x{info.Height}; at most {maxPixels} pixels are accepted");
        }

        using var source = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(source.Info, source.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            throw new InputException(400, $"the image could not be decoded: {result}");
        }

        float[] gray = ToGray(source);
        float border = BorderMean(gray, info.Width, info.Height);
        float[] fitted = Fit(gray, info.Width, info.Height, width, height, border);
        bool invert = inversion switch
        {
            ImageInversion.Always => true,
            ImageInversion.Never => false,
            _ => border > 0.5f,
        };
        if (invert)
        {
            for (int i = 0; i < fitted.Length; i++)
            {
                fitted[i] = 1f - fitted[i];
            }
        }

        return fitted;
    }

    /// <summary>Luma in [0,1]; transparent pixels count as white paper.</summary>
    private static float[] ToGray(SKBitmap bitmap)
    {
        var pixels = bitmap.GetPixelSpan();
        var gray = new float[bitmap.Width * bitmap.Height];
        for (int i = 0; i < gray.Length; i++)
        {
            float r = pixels[4 * i], g = pixels[(4 * i) + 1], b = pixels[(4 * i) + 2], a = pixels[(4 * i) + 3] / 255f;
            float luma = ((0.299f * r) + (0.587f * g) + (0.114f * b)) / 255f;
            gray[i] = (luma * a) + (1f - a);
        }

        return gray;
    }

    private static float BorderMean(float[] gray, int width, int height)
    {
        double sum = 0;
        int n = 0;
        for (int x = 0; x < width; x++)
        {
            sum += gray[x] + gray[((height - 1) * width) + x];
            n += 2;
        }

        for (int y = 1; y < height - 1; y++)
        {
            sum += gray[y * width] + gray[(y * width) + width - 1];
            n += 2;
        }

        return (float)(sum / n);
    }

    /// <summary>Area-averaged resize into the target, centred, aspect kept, the rest filled with <paramref name="fill"/>.</summary>
    private static float[] Fit(float[] gray, int width, int height, int targetWidth, int targetHeight, float fill)
    {
        double scale = Math.Min((double)targetWidth / width, (double)targetHeight / height);
        int w = Math.Max(1, (int)Math.Round(width * scale));
        int h = Math.Max(1, (int)Math.Round(height * scale));
        int left = (targetWidth - w) / 2;
        int top = (targetHeight - h) / 2;
        var result = new float[targetWidth * targetHeight];
        Array.Fill(result, fill);
        for (int ty = 0; ty < h; ty++)
        {
            double y0 = ty * (double)height / h, y1 = (ty + 1) * (double)height / h;
            for (int tx = 0; tx < w; tx++)
            {
                double x0 = tx * (double)width / w, x1 = (tx + 1) * (double)width / w;
                result[((top + ty) * targetWidth) + left + tx] = (float)AreaMean(gray, width, x0, x1, y0, y1);
            }
        }

        return result;
    }

    private static double AreaMean(float[] gray, int width, double x0, double x1, double y0, double y1)
    {
        double sum = 0, weight = 0;
        for (int y = (int)y0; y < Math.Ceiling(y1); y++)
        {
            double wy = Math.Min(y + 1, y1) - Math.Max(y, y0);
            for (int x = (int)x0; x < Math.Ceiling(x1); x++)
            {
                double wx = Math.Min(x + 1, x1) - Math.Max(x, x0);
                sum += gray[(y * width) + x] * wx * wy;
                weight += wx * wy;
            }
        }

        return weight > 0 ? sum / weight : 0;
    }
}
