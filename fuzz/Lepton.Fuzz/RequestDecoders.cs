using Lepton.Inference.Decoding;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Fuzz;

/// <summary>
/// The fuzz target: the decoders a request body goes through, chosen by the input's first byte (image
/// decoding, the predict route's JSON, the v2 infer JSON). Bad input may raise only
/// <see cref="InputException"/> (a 4xx); anything else escapes and is a finding.
/// </summary>
public static class RequestDecoders
{
    public const byte Image = 0, Predict = 1, Infer = 2;

    private static readonly Lazy<LoadedModel> Model = new(LoadTinyModel);

    private static LoadedModel LoadTinyModel()
    {
        byte[] bytes = TinyModels.Linear();
        var description = ModelInspector.Describe(bytes);
        var manifest = new Core.Registry.ModelManifest
        {
            Name = "fuzz",
            Version = 1,
            CreatedAt = DateTimeOffset.UnixEpoch,
            Inputs = description.Inputs,
            Outputs = description.Outputs,
            Signature = description.Signature,
            Sha256 = string.Empty,
            SizeBytes = bytes.Length,
        };
        return new LoadedModel(manifest, bytes, new InferenceOptions { Batching = false });
    }

    /// <summary>Runs one input; returns the 4xx status it was refused with, or 200.</summary>
    public static int Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return 200;
        }

        byte[] body = input[1..].ToArray();
        try
        {
            switch (input[0] % 3)
            {
                case Image:
                    _ = ImageDecoder.Decode(body, 28, 28, ImageInversion.Auto, 1_000_000);
                    break;
                case Predict:
                    _ = PredictInstances.Parse(body, 784, 16);
                    break;
                default:
                    _ = InferRequest.Parse(body, Model.Value, 16);
                    break;
            }

            return 200;
        }
        catch (InputException refusal)
        {
            return ApiErrors.StatusOf(refusal.Problem);
        }
    }

    /// <summary>Seed inputs: a PNG, a JPEG, a predict body and an infer body, each behind its selector byte.</summary>
    public static IReadOnlyList<byte[]> Seeds()
    {
        float[] pixels = TinyModels.ImageFor(3);
        string values = string.Join(',', pixels.Select(p => p.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        return
        [
            [Image, .. Encode(pixels, SkiaSharp.SKEncodedImageFormat.Png)],
            [Image, .. Encode(pixels, SkiaSharp.SKEncodedImageFormat.Jpeg)],
            [Predict, .. System.Text.Encoding.UTF8.GetBytes($$"""{"instances":[[{{values}}]]}""")],
            [Infer, .. System.Text.Encoding.UTF8.GetBytes($$"""{"id":"x","inputs":[{"name":"pixels","shape":[1,1,28,28],"datatype":"FP32","data":[{{values}}]}],"outputs":[{"name":"logits"}]}""")],
        ];
    }

    private static byte[] Encode(float[] gray, SkiaSharp.SKEncodedImageFormat format)
    {
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(28, 28, SkiaSharp.SKColorType.Gray8));
        for (int i = 0; i < gray.Length; i++)
        {
            bitmap.SetPixel(i % 28, i / 28, new SkiaSharp.SKColor((byte)(gray[i] * 255), (byte)(gray[i] * 255), (byte)(gray[i] * 255)));
        }

        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
