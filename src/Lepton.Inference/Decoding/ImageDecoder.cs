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
/// Turns a PNG or JPEG into a model's input as its signature says: gray (luma) or RGB planes
/// [C,H,W], transparent pixels composited over white, brought to the model's height and width by its
/// resize policy (fitted with the border's colour around, or the shorter side scaled and the centre
/// cropped), scaled to [0,1], and for light-on-dark models inverted when the border is light (photos:
/// dark object on light background; such models were trained on the opposite).
/// </summary>
public static class ImageDecoder
{
    /// <summary>The pixel limit when the host sets none: 16 megapixels (a 4000x4000 image).</summary>
    public const long DefaultMaxPixels = 16_000_000;

    /// <summary>
    /// Decodes <paramref name="data"/> as the model's signature says its pictures are prepared
    /// (<paramref name="image"/>: shape, resize and polarity) to C*H*W values, plane after plane;
    /// <paramref name="inversion"/> is the server's setting for light-on-dark models (a model that takes
    /// pixels as they are is never inverted, unless the setting is <see cref="ImageInversion.Always"/>).
    /// The header is read first and images over <paramref name="maxPixels"/> are refused (413) before
    /// any pixel memory is allocated; truncated images are refused (400). Every native object is disposed
    /// before this returns, also on failure. Peak memory is about 8 bytes per decoded pixel (the RGBA
    /// bitmap and one float plane at a time), gray or color.
    /// </summary>
    public static float[] Decode(byte[] data, ImageInputSpec image, ImageInversion inversion, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(image);
        var shape = image.Shape;
        if (shape.Channels is not (1 or 3))
        {
            throw new InputException(InputProblem.Invalid, $"the model takes {shape.Channels}-channel images; this server decodes images to 1 (gray) or 3 (RGB) channels");
        }

        var effective = image.Polarity == ImagePolarity.AsIs && inversion != ImageInversion.Always ? ImageInversion.Never : inversion;
        using var bitmap = DecodeBitmap(data, shape.Height, shape.Width, maxPixels);
        int width = bitmap.Width, height = bitmap.Height;
        var result = new float[shape.Values];
        int plane = shape.Height * shape.Width;
        float border = 0;
        for (int c = 0; c < shape.Channels; c++)
        {
            float[] source = Plane(bitmap, c, shape.Channels); // one plane at a time: peak 8 bytes a decoded pixel
            float edge = BorderMean(source, width, height);
            border += edge * LumaWeight(c, shape.Channels);
            float[] resized = image.Resize == ResizePolicy.ShorterSideCenterCrop
                ? CenterCrop(source, width, height, shape.Width, shape.Height)
                : Fit(source, width, height, shape.Width, shape.Height, edge);
            resized.CopyTo(result, c * plane);
        }

        bool invert = effective switch
        {
            ImageInversion.Always => true,
            ImageInversion.Never => false,
            _ => border > 0.5f,
        };
        if (invert)
        {
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = 1f - result[i];
            }
        }

        return result;
    }

    /// <summary>
    /// Decodes <paramref name="data"/> to one gray plane fitted into <paramref name="height"/> x
    /// <paramref name="width"/> (the 28x28 models' way); see <see cref="Decode(byte[], ImageInputSpec, ImageInversion, long)"/>.
    /// </summary>
    public static float[] Decode(byte[] data, int height, int width, ImageInversion inversion, long maxPixels) =>
        Decode(data, new ImageInputSpec(new ImageShape(1, height, width), ResizePolicy.Fit, ImagePolarity.LightOnDark), inversion, maxPixels);

    /// <summary>
    /// Whether the picture has color: any opaque-enough pixel whose channels differ by more than a
    /// few levels (JPEG noise on a gray picture stays below). Checked on the header-limited decode.
    /// </summary>
    public static bool HasColor(byte[] data, long maxPixels)
    {
        using var bitmap = DecodeBitmap(data, 1, 1, maxPixels);
        var pixels = bitmap.GetPixelSpan();
        for (int i = 0; i < pixels.Length; i += 4)
        {
            // Over white: a faint pixel's colour hardly shows, so the spread is weighted by its alpha.
            int spread = Math.Max(pixels[i], Math.Max(pixels[i + 1], pixels[i + 2])) - Math.Min(pixels[i], Math.Min(pixels[i + 1], pixels[i + 2]));
            if (spread * pixels[i + 3] > 12 * 255)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The picture's width and height from its header, without decoding its pixels (null when it is not PNG or JPEG).</summary>
    public static (int Width, int Height)? Size(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var encoded = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(encoded);
        return codec is null || codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg) || codec.Info.Width <= 0 || codec.Info.Height <= 0
            ? null
            : (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>The picture as an RGBA bitmap (the caller disposes it), at a size that still covers the target.</summary>
    private static SKBitmap DecodeBitmap(byte[] data, int height, int width, long maxPixels)
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

        var source = new SKBitmap(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        try
        {
            var result = codec.GetPixels(source.Info, source.GetPixels());
            if (result == SKCodecResult.IncompleteInput)
            {
                throw new InputException(InputProblem.Invalid, "the image is truncated");
            }

            if (result != SKCodecResult.Success)
            {
                throw new InputException(InputProblem.Invalid, $"the image could not be decoded: {result}");
            }

            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
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

    /// <summary>Plane <paramref name="c"/> of <paramref name="channels"/> in [0,1]: luma when there is one, else R, G or B; transparent pixels count as white paper.</summary>
    private static float[] Plane(SKBitmap bitmap, int c, int channels)
    {
        var pixels = bitmap.GetPixelSpan();
        var plane = new float[bitmap.Width * bitmap.Height];
        for (int i = 0; i < plane.Length; i++)
        {
            float a = pixels[(4 * i) + 3] / 255f;
            float value = channels == 1
                ? ((0.299f * pixels[4 * i]) + (0.587f * pixels[(4 * i) + 1]) + (0.114f * pixels[(4 * i) + 2])) / 255f
                : pixels[(4 * i) + c] / 255f;
            plane[i] = (value * a) + (1f - a);
        }

        return plane;
    }

    /// <summary>The weight of plane <paramref name="c"/> of <paramref name="channels"/> in the luma (Rec. 601).</summary>
    private static float LumaWeight(int c, int channels) => channels == 1 ? 1f : c switch { 0 => 0.299f, 1 => 0.587f, _ => 0.114f };

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
    private static float[] Fit(float[] plane, int width, int height, int targetWidth, int targetHeight, float fill)
    {
        double scale = Math.Min((double)targetWidth / width, (double)targetHeight / height);
        int w = Math.Max(1, (int)Math.Round(width * scale));
        int h = Math.Max(1, (int)Math.Round(height * scale));
        int left = (targetWidth - w) / 2;
        int top = (targetHeight - h) / 2;
        var result = new float[targetWidth * targetHeight];
        Array.Fill(result, fill);
        float[] scaled = Resample(plane, width, height, 0, 0, width, height, w, h);
        for (int ty = 0; ty < h; ty++)
        {
            scaled.AsSpan(ty * w, w).CopyTo(result.AsSpan(((top + ty) * targetWidth) + left));
        }

        return result;
    }

    /// <summary>The shorter side scaled to the target's, the centre cropped to the target (area-averaged).</summary>
    private static float[] CenterCrop(float[] plane, int width, int height, int targetWidth, int targetHeight)
    {
        double scale = Math.Max((double)targetWidth / width, (double)targetHeight / height);
        double cropWidth = Math.Min(width, targetWidth / scale), cropHeight = Math.Min(height, targetHeight / scale);
        return Resample(plane, width, height, (width - cropWidth) / 2, (height - cropHeight) / 2, cropWidth, cropHeight, targetWidth, targetHeight);
    }

    /// <summary>The region (x, y, regionWidth, regionHeight) of the plane as w x h cells, each the area mean of what it covers.</summary>
    private static float[] Resample(float[] plane, int width, int height, double x, double y, double regionWidth, double regionHeight, int w, int h)
    {
        var result = new float[w * h];
        for (int ty = 0; ty < h; ty++)
        {
            double y0 = y + (ty * regionHeight / h), y1 = y + ((ty + 1) * regionHeight / h);
            for (int tx = 0; tx < w; tx++)
            {
                double x0 = x + (tx * regionWidth / w), x1 = x + ((tx + 1) * regionWidth / w);
                result[(ty * w) + tx] = (float)AreaMean(plane, width, height, x0, x1, y0, y1);
            }
        }

        return result;
    }

    private static double AreaMean(float[] plane, int width, int height, double x0, double x1, double y0, double y1)
    {
        double sum = 0, weight = 0;
        int yEnd = Math.Min(height, (int)Math.Ceiling(y1)), xEnd = Math.Min(width, (int)Math.Ceiling(x1));
        for (int py = (int)y0; py < yEnd; py++)
        {
            double wy = Math.Min(py + 1, y1) - Math.Max(py, y0);
            for (int px = (int)x0; px < xEnd; px++)
            {
                double wx = Math.Min(px + 1, x1) - Math.Max(px, x0);
                sum += plane[(py * width) + px] * wx * wy;
                weight += wx * wy;
            }
        }

        return weight > 0 ? sum / weight : 0;
    }
}
