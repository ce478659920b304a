using Lepton.Inference.Explain;
using SkiaSharp;

namespace Lepton.Inference.Tests.Explain;

public sealed class ColorOcclusionTests
{
    private const int Size = 32, Plane = Size * Size;

    /// <summary>Two classes scored by the blue channel's mean over the top-left 8x8 (class 1) against 0.5 (class 0).</summary>
    private static float[] BlueCorner(float[] pixels, int n)
    {
        var scores = new float[n * 2];
        for (int k = 0; k < n; k++)
        {
            float sum = 0;
            for (int y = 0; y < 8; y++)
            {
                for (int x = 0; x < 8; x++)
                {
                    sum += pixels[(k * 3 * Plane) + (2 * Plane) + (y * Size) + x];
                }
            }

            (scores[2 * k], scores[(2 * k) + 1]) = (0.5f * 10, sum / 64 * 10);
        }

        return scores;
    }

    [Fact]
    public void Explain_ColorImage_OccludesEveryChannelAndFindsTheBlueCorner()
    {
        var image = new float[3 * Plane];
        Array.Fill(image, 1f, 2 * Plane, Plane); // blue everywhere

        var saliency = Occlusion.Explain(BlueCorner, image, Size, Size, patch: 4, stride: 4, channels: 3);

        Assert.Equal(1, saliency.Index);
        Assert.Equal(Plane, saliency.Heatmap.Length);
        Assert.True(saliency.Heatmap[(2 * Size) + 2] > 0.9f, $"corner {saliency.Heatmap[(2 * Size) + 2]}");
        Assert.Equal(0f, saliency.Heatmap[(20 * Size) + 20]);
    }

    [Fact]
    public void SaliencyPng_ColorModel_ShowsThePictureInColorAtAbout224Pixels()
    {
        var image = new float[3 * Plane];
        Array.Fill(image, 1f, 0, Plane); // red

        using var png = SKBitmap.Decode(SaliencyImage.ToPng(image, new float[Plane], Size, Size, channels: 3));

        Assert.Equal((224, 224), (png.Width, png.Height)); // 7x
        var pixel = png.GetPixel(100, 100);
        Assert.True(pixel.Red > 150 && pixel.Green < 40 && pixel.Blue < 40, $"{pixel}");
    }

    [Fact]
    public void CopiesFor_ColorImageOverTheValueBound_IsRefused()
    {
        var ex = Assert.Throws<Lepton.Inference.Decoding.InputException>(() => Occlusion.CopiesFor(224, 224, 2, 2, channels: 3)); // 12544 copies

        Assert.Contains("larger stride", ex.Message, StringComparison.Ordinal);
    }
}
