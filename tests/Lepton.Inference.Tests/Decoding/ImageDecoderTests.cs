using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using SkiaSharp;

namespace Lepton.Inference.Tests.Decoding;

public sealed class ImageDecoderTests
{
    private static float[] Square(bool lightBackground)
    {
        var pixels = new float[28 * 28];
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                bool inside = x is >= 8 and < 20 && y is >= 8 and < 20;
                pixels[(y * 28) + x] = inside ^ lightBackground ? 1f : 0f;
            }
        }

        return pixels;
    }

    [Fact]
    public void Decode_MnistStylePng_KeepsThePixels()
    {
        var expected = Square(lightBackground: false);

        var decoded = ImageDecoder.Decode(ImageFiles.Encode(expected, 28, 28), 28, 28, ImageInversion.Auto, 1_000_000);

        Assert.Equal(expected, decoded);
    }

    [Fact]
    public void Decode_PhotoOnLightBackground_IsInverted()
    {
        var decoded = ImageDecoder.Decode(ImageFiles.Encode(Square(lightBackground: true), 28, 28), 28, 28, ImageInversion.Auto, 1_000_000);

        Assert.Equal(Square(lightBackground: false), decoded);
    }

    [Fact]
    public void Decode_InversionNever_KeepsALightBackground()
    {
        var light = Square(lightBackground: true);

        Assert.Equal(light, ImageDecoder.Decode(ImageFiles.Encode(light, 28, 28), 28, 28, ImageInversion.Never, 1_000_000));
    }

    [Fact]
    public void Decode_LargeJpeg_IsScaledDownByAreaAverage()
    {
        var big = new float[112 * 112];
        for (int i = 0; i < big.Length; i++)
        {
            big[i] = (i / 112) < 56 ? 0f : 1f; // top half dark, bottom half light
        }

        var decoded = ImageDecoder.Decode(ImageFiles.Encode(big, 112, 112, SKEncodedImageFormat.Jpeg), 28, 28, ImageInversion.Never, 1_000_000);

        Assert.Equal(784, decoded.Length);
        Assert.True(decoded[(5 * 28) + 5] < 0.05f);
        Assert.True(decoded[(22 * 28) + 5] > 0.95f);
    }

    [Fact]
    public void Decode_WideImage_IsFittedAndPaddedWithTheBorderColour()
    {
        var wide = new float[56 * 28]; // dark background
        for (int y = 10; y < 18; y++)
        {
            for (int x = 20; x < 36; x++)
            {
                wide[(y * 56) + x] = 1f;
            }
        }

        var decoded = ImageDecoder.Decode(ImageFiles.Encode(wide, 56, 28), 28, 28, ImageInversion.Auto, 1_000_000);

        Assert.Equal(0f, decoded[0]); // padding: the dark border colour
        Assert.True(decoded[(14 * 28) + 14] > 0.9f); // the object stays in the centre
    }

    [Fact]
    public void Decode_TransparentPixels_CountAsPaper()
    {
        var decoded = ImageDecoder.Decode(ImageFiles.Encode(new float[28 * 28], 28, 28, alpha: 0), 28, 28, ImageInversion.Auto, 1_000_000);

        Assert.All(decoded, v => Assert.Equal(0f, v)); // white paper, inverted to the dark MNIST background
    }

    [Fact]
    public void Decode_NotAnImage_Is415()
    {
        var ex = Assert.Throws<InputException>(() => ImageDecoder.Decode("not an image"u8.ToArray(), 28, 28, ImageInversion.Auto, 1_000_000));

        Assert.Equal(415, ex.StatusCode);
    }

    [Fact]
    public void Decode_OtherFormat_Is415()
    {
        using var bitmap = new SKBitmap(4, 4);
        using var image = SKImage.FromBitmap(bitmap);
        using var webp = image.Encode(SKEncodedImageFormat.Webp, 90);

        var ex = Assert.Throws<InputException>(() => ImageDecoder.Decode(webp.ToArray(), 28, 28, ImageInversion.Auto, 1_000_000));

        Assert.Equal(415, ex.StatusCode);
        Assert.Contains("Webp", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TooManyPixels_Is413()
    {
        var ex = Assert.Throws<InputException>(() => ImageDecoder.Decode(ImageFiles.Encode(new float[100 * 100], 100, 100), 28, 28, ImageInversion.Auto, 5_000));

        Assert.Equal(413, ex.StatusCode);
    }
}
