using Lepton.Core.Registry;
using Lepton.Inference.Decoding;
using Lepton.Inference.Explain;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using SkiaSharp;

namespace Lepton.Inference.Tests.Explain;

/// <summary>Occlusion saliency on a real ONNX Runtime session of a model that reads only its top-left 6x6 corner.</summary>
public sealed class OcclusionTests : IDisposable
{
    private readonly LoadedModel _model;

    public OcclusionTests()
    {
        byte[] bytes = TinyModels.Corner();
        var description = ModelInspector.Describe(bytes);
        var manifest = new ModelManifest
        {
            Name = "corner", Version = 1, CreatedAt = DateTimeOffset.UnixEpoch, Inputs = description.Inputs, Outputs = description.Outputs,
            Signature = description.Signature, Sha256 = string.Empty, SizeBytes = bytes.Length,
        };
        _model = new LoadedModel(manifest, bytes, new InferenceOptions { Batching = false });
    }

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData(4, 2)]
    [InlineData(3, 1)]
    [InlineData(6, 6)]
    public void Explain_ModelReadingOneCorner_LightsTheCornerOnly(int patch, int stride)
    {
        var runs = new List<int>();
        var saliency = Occlusion.Explain((pixels, n) =>
        {
            runs.Add(n);
            return _model.Run(pixels, n);
        }, TinyModels.CornerImage(), 28, 28, patch, stride);

        Assert.Equal([saliency.Copies + 1], runs); // every occluded copy and the original in one session run
        Assert.Equal(0, saliency.Index);
        Assert.True(saliency.Probabilities[0] > 0.9f, $"p(zero) = {saliency.Probabilities[0]}");
        var inside = new List<float>();
        var outside = new List<float>();
        var far = new List<float>();
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                float v = saliency.Heatmap[(y * 28) + x];
                (TinyModels.InCorner(y, x) ? inside : outside).Add(v);
                if (y >= TinyModels.CornerSize + patch || x >= TinyModels.CornerSize + patch)
                {
                    far.Add(v); // no patch that covers it reaches the corner
                }
            }
        }

        Assert.True(inside.Average() > 20 * outside.Average(), $"mean inside {inside.Average():F4}, outside {outside.Average():F4}");
        Assert.True(inside.Average() > 0.4, $"mean inside {inside.Average():F4}");
        Assert.All(far, v => Assert.Equal(0f, v));
        Assert.Equal(1f, saliency.Heatmap.Max());
        Assert.All(saliency.Heatmap, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Explain_DefaultPatchAndStride_Scores169CopiesCoveringEveryPixel()
    {
        var saliency = Occlusion.Explain(_model.Run, TinyModels.CornerImage(), 28, 28);

        Assert.Equal(13 * 13, saliency.Copies);
        Assert.Equal(28 * 28, saliency.Heatmap.Length);
    }

    [Fact]
    public void Explain_PatchThatDoesNotDivideTheImage_StillCoversTheLastRowAndColumn()
    {
        // patch 5, stride 5 on 28: 0,5,...,20 and one more flush with the edge at 23
        Assert.Equal(6 * 6, Occlusion.CopiesFor(28, 28, 5, 5));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(15, 2)]
    [InlineData(4, 0)]
    [InlineData(4, 5)]
    public void CopiesFor_OutOfBounds_IsRefusedAsBadInput(int patch, int stride)
    {
        var ex = Assert.Throws<InputException>(() => Occlusion.CopiesFor(28, 28, patch, stride));
        Assert.Equal(InputProblem.Invalid, ex.Problem);
    }

    [Fact]
    public void CopiesFor_TooManyCopies_IsRefused()
    {
        Assert.Equal(784, Occlusion.CopiesFor(28, 28, 1, 1));
        var ex = Assert.Throws<InputException>(() => Occlusion.CopiesFor(64, 64, 1, 1));
        Assert.Contains("at most", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaliencyImage_IsAnEnlargedPngWithTheHeatInColour()
    {
        var image = TinyModels.CornerImage();
        var saliency = Occlusion.Explain(_model.Run, image, 28, 28);

        using var bitmap = SKBitmap.Decode(SaliencyImage.ToPng(image, saliency.Heatmap, 28, 28));

        Assert.Equal(224, bitmap.Width);
        Assert.Equal(224, bitmap.Height);
        var hot = bitmap.GetPixel(2 * 8, 2 * 8); // in the corner: heat
        var cold = bitmap.GetPixel(20 * 8, 20 * 8); // far from it: gray
        Assert.True(hot.Red > hot.Blue + 40, $"corner pixel {hot}");
        Assert.True(Math.Abs(cold.Red - cold.Blue) < 60, $"far pixel {cold}");
    }
}
