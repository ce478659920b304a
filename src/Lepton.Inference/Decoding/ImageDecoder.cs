using System.Buffers.Binary;
using Lepton.Core.Contracts;
using Lepton.Inference.Runtime;
using SkiaSharp;

namespace Lepton.Inference.Decoding;

/// <summary>What is wrong with an input, in the caller's terms; the HTTP layer maps each to its 4xx.</summary>
public enum InputProblem
{
    /// <summary>Malformed or out of range (HTTP 400).</summary>
    Invalid,
    /// <summary>Over a documented size limit (HTTP 413).</summary>
    TooLarge,
    /// <summary>A format or media type that is not accepted (HTTP 415).</summary>
    UnsupportedMediaType,
    /// <summary>Valid, but in conflict with the current state (HTTP 409).</summary>
    Conflict,
}

/// <summary>An input (a request body, an image) that cannot be used; <see cref="Problem"/> says why.</summary>
public sealed class InputException(InputProblem problem, string message) : Exception(message)
{
    public InputProblem Problem { get; } = problem;
}

/// <summary>
/// Turns a PNG or JPEG into the model contract's input: grayscale, fitted (aspect kept, padded with the
/// border's colour) into the model's height and width, scaled to [0,1], and inverted when its border is
/// light (photos: dark object on light background; the models were trained on the opposite).
/// </summary>
public static class ImageDecoder
{
    /// <summary>The pixel limit when the host sets none: 16 megapixels (a 4000x4000 image).</summary>
    public const long DefaultMaxPixels = 16_000_000;

    /// <summary>
    /// Decodes <paramref name="data"/> as the model's signature says its pictures are prepared
    /// (<paramref name="image"/>: shape, resize and polarity); <paramref name="inversion"/> is the server's
    /// setting for light-on-dark models (a model that takes pixels as they are is never inverted, unless
    /// the setting is <see cref="ImageInversion.Always"/>).
    /// </summary>
    public static float[] Decode(byte[] data, ImageInputSpec image, ImageInversion inversion, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Shape.Channels != 1)
        {
            throw new InputException(InputProblem.Invalid, $"the model takes {image.Shape.Channels}-channel images; this server decodes images to one channel");
        }

        var effective = image.Polarity == ImagePolarity.AsIs && inversion != ImageInversion.Always ? ImageInversion.Never : inversion;
        return Decode(data, image.Shape.Height, image.Shape.Width, effective, maxPixels);
    }

    /// <summary>
    /// Decodes <paramref name="data"/>. The header is read first and images over
    /// <paramref name="maxPixels"/> are refused (413) before any pixel memory is allocated; truncated
    /// images are refused (400). Every native object is disposed before this returns, also on failure.
    /// Peak memory is about 8 bytes per pixel (the RGBA bitmap and its grayscale copy).
    /// </summary>
    public static float[] Decode(byte[] data, int height, int width, ImageInversion inversion, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var encoded = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(encoded)
            ?? throw new InputException(InputProblem.UnsupportedMediaType, "the body is not an image this server can decode (PNG or JPEG)");
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
        {
            throw new InputException(InputProblem.UnsupportedMediaType, $"image format {codec.EncodedFormat} is not supported: send PNG or JPEG");
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new InputException(InputProblem.Invalid, "the image has no pixels");
        }

        if ((long)info.Width * info.Height > maxPixels)
        {
            throw new InputException(InputProblem.TooLarge, $"the image is {info.Width}x{info.Height}; at most {maxPixels} pixels are accepted");
        }

        if (!HasEnd(data, codec.EncodedFormat) || TooShort(data, codec.EncodedFormat, info.Width, info.Height))
        {
            throw new InputException(InputProblem.Invalid, "the image is truncated");
        }

        // JPEG decodes at 1/2, 1/4 or 1/8 scale in the DCT: take the smallest that still covers the target.
        var size = codec.EncodedFormat == SKEncodedImageFormat.Jpeg
            ? codec.GetScaledDimensions(Math.Min(1f, Math.Max((float)width / info.Width, (float)height / info.Height)))
            : info.Size;
        if (size.Width < Math.Min(width, info.Width) || size.Height < Math.Min(height, info.Height))
        {
            size = info.Size;
        }

        info = new SKImageInfo(size.Width, size.Height);
        using var source = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(source.Info, source.GetPixels());
        if (result == SKCodecResult.IncompleteInput)
        {
            throw new InputException(InputProblem.Invalid, "the image is truncated");
        }

        if (result != SKCodecResult.Success)
        {
            throw new InputException(InputProblem.Invalid, $"the image could not be decoded: {result}");
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

    /// <summary>
    /// A complete file ends with its end marker (PNG: the IEND chunk; JPEG: EOI, FF D9), perhaps followed
    /// by a little padding. Checked before decoding: a truncated file is refused without allocating
    /// its pixels (libjpeg would otherwise decode a cut-off 16-megapixel JPEG as if it were whole).
    /// </summary>
    private static bool HasEnd(ReadOnlySpan<byte> data, SKEncodedImageFormat format)
    {
        var tail = data[Math.Max(0, data.Length - 1024)..];
        return format == SKEncodedImageFormat.Png
            ? tail.IndexOf("IEND"u8) >= 0
            : tail.IndexOf(JpegEnd) >= 0;
    }

    private static ReadOnlySpan<byte> JpegEnd => [0xFF, 0xD9];

    /// <summary>
    /// Whether the file is too short to hold the pixels its header declares, by any encoder: deflate
    /// compresses at most 1032:1, so a PNG's IDAT chunks carry at least height x row bytes / 1032; a
    /// JPEG spends at least a bit on each 8x8 block's DC value even arithmetic-coded at its best, so we
    /// ask for a conservative pixels / 4096 bytes. Such a file is a truncated upload or a bomb.
    /// </summary>
    private static bool TooShort(ReadOnlySpan<byte> data, SKEncodedImageFormat format, int width, int height)
    {
        if (format == SKEncodedImageFormat.Jpeg)
        {
            return data.Length < (long)width * height / 4096;
        }

        long idat = 0;
        int channels = 1, depth = 8;
        for (long next = 8; next + 12 <= data.Length;)
        {
            int at = (int)next;
            long length = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
            var type = data.Slice(at + 4, 4);
            if (type.SequenceEqual("IHDR"u8) && at + 8 + 13 <= data.Length)
            {
                depth = data[at + 16];
                channels = data[at + 17] switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idat += length;
            }

            next += 12 + length; // a long: a declared length near 4 GiB cannot wrap around
        }

        long rowBytes = (((long)width * channels * depth) + 7) / 8;
        return idat * 1032 < rowBytes * height;
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
