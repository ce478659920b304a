using Lepton.Core.Contracts;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using SkiaSharp;

namespace Lepton.Inference.Tests.Decoding;

public sealed class ColorImageDecoderTests
{
    private static readonly ImageInputSpec Rgb64 = new(new ImageShape(3, 64, 64), ResizePolicy.ShorterSideCenterCrop, ImagePolarity.AsIs);

    private const int Plane = 64 * 64;

    private static float[] Channel(float[] decoded, int c) => decoded.AsSpan(c * Plane, Plane).ToArray();

    [Fact]
    public void Decode_Small16x16Png_IsScaledUpToTheModelInRgbOrder()
    {
        byte[] png = ImageFiles.EncodeColor((_, _) => new SKColor(200, 50, 10), 16, 16);

        var decoded = ImageDecoder.Decode(png, Rgb64, ImageInversion.Auto, ImageDecoder.DefaultMaxPixels);

        Assert.Equal(3 * Plane, decoded.Length);
        Assert.All(Channel(decoded, 0), v => Assert.Equal(200 / 255f, v, 3));
        Assert.All(Channel(decoded, 1), v => Assert.Equal(50 / 255f, v, 3));
        Assert.All(Channel(decoded, 2), v => Assert.Equal(10 / 255f, v, 3));
    }

    [Fact]
    public void Decode_500x300Jpeg_ShorterSideScaledAndTheCentreCropped()
    {
        // Green bands on the left and right 100 columns, red between: the centre crop (300x300) is all red.
        byte[] jpeg = ImageFiles.EncodeColor((x, _) => x is < 100 or >= 400 ? SKColors.Lime : SKColors.Red, 500, 300, SKEncodedImageFormat.Jpeg);

        var decoded = ImageDecoder.Decode(jpeg, Rgb64, ImageInversion.Auto, ImageDecoder.DefaultMaxPixels);

        float[] red = Channel(decoded, 0), green = Channel(decoded, 1);
        Assert.True(red.Average() > 0.95f, $"red mean {red.Average()}");
        Assert.True(green.Average() < 0.05f, $"green mean {green.Average()}");
        for (int y = 0; y < 64; y++)
        {
            for (int x = 1; x < 63; x++)
            {
                Assert.True(red[(y * 64) + x] > 0.9f && green[(y * 64) + x] < 0.1f, $"({x},{y}): r {red[(y * 64) + x]}, g {green[(y * 64) + x]}");
            }
        }
    }

    [Fact]
    public void Decode_FitPolicy_KeepsTheWholePictureWithTheBorderColourAround()
    {
        byte[] png = ImageFiles.EncodeColor((x, _) => x < 100 ? SKColors.Lime : SKColors.Red, 200, 100);

        var decoded = ImageDecoder.Decode(png, Rgb64 with { Resize = ResizePolicy.Fit }, ImageInversion.Auto, ImageDecoder.DefaultMaxPixels);

        float[] green = Channel(decoded, 1);
        Assert.Equal(1f, green[(32 * 64) + 10], 3); // the left half of the picture
        Assert.Equal(0f, green[(32 * 64) + 50], 3); // its right half
        Assert.Equal(0.5f, green[64 + 32], 2);      // padding: the border's mean colour
    }

    [Fact]
    public void Decode_TransparentColour_IsCompositedOverWhite()
    {
        byte[] png = ImageFiles.EncodeColor((_, _) => new SKColor(255, 0, 0, 128), 64, 64);

        var decoded = ImageDecoder.Decode(png, Rgb64, ImageInversion.Auto, ImageDecoder.DefaultMaxPixels);

        float alpha = 128 / 255f;
        Assert.All(Channel(decoded, 0), v => Assert.Equal(1f, v, 3));
        Assert.All(Channel(decoded, 1), v => Assert.Equal(1f - alpha, v, 3));
        Assert.All(Channel(decoded, 2), v => Assert.Equal(1f - alpha, v, 3));
    }

    [Fact]
    public void Decode_ColourPhotoOnWhite_IsNotInvertedForAnAsIsModel()
    {
        byte[] png = ImageFiles.EncodeColor((x, y) => x is >= 24 and < 40 && y is >= 24 and < 40 ? SKColors.Blue : SKColors.White, 64, 64);

        var decoded = ImageDecoder.Decode(png, Rgb64, ImageInversion.Auto, ImageDecoder.DefaultMaxPixels);

        Assert.Equal(1f, decoded[0], 3);
        Assert.Equal(0f, Channel(decoded, 0)[(32 * 64) + 32], 3);
        Assert.Equal(1f, Channel(decoded, 2)[(32 * 64) + 32], 3);
    }

    [Fact]
    public void Decode_FourChannelModel_IsRefused()
    {
        byte[] png = ImageFiles.EncodeColor((_, _) => SKColors.Red, 8, 8);

        var ex = Assert.Throws<InputException>(() => ImageDecoder.Decode(png, Rgb64 with { Shape = new ImageShape(4, 8, 8) }, ImageInversion.Auto, 1_000_000));

        Assert.Equal(InputProblem.Invalid, ex.Problem);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void HasColor_GrayPicture_IsFalseAndColourIsTrue(SKEncodedImageFormat format)
    {
        byte[] gray = ImageFiles.EncodeColor((x, y) => (x + y) % 2 == 0 ? SKColors.Black : new SKColor(180, 180, 180), 32, 32, format);
        byte[] color = ImageFiles.EncodeColor((x, _) => x < 16 ? SKColors.Gray : SKColors.Orange, 32, 32, format);

        Assert.False(ImageDecoder.HasColor(gray, 1_000_000));
        Assert.True(ImageDecoder.HasColor(color, 1_000_000));
    }
}
