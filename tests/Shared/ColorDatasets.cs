using SkiaSharp;

namespace Lepton.Tests;

/// <summary>
/// Generated color image folders whose class only the hue tells: noisy squares of red, green or blue of
/// about the same luma (a gray picture hardly tells them apart) on noisy light gray, brightness and
/// picture size varied. One generator for the training tests and the hosts' conformance tests.
/// </summary>
internal static class ColorDatasets
{
    /// <summary>Red, green and blue of about the same luma (76, 76, 73), in label order.</summary>
    public static readonly (string Name, SKColor Color)[] Classes = [("blue", new SKColor(50, 50, 255)), ("green", new SKColor(0, 130, 0)), ("red", new SKColor(255, 0, 0))];

    private static readonly SKColor Background = new(220, 220, 220);

    public static SKColor Scaled(SKColor color, double brightness, Random random, byte alpha = 255)
    {
        ArgumentNullException.ThrowIfNull(random);
        byte Channel(byte v) => (byte)Math.Clamp((v * brightness) + random.Next(-20, 21), 0, 255);
        return new SKColor(Channel(color.Red), Channel(color.Green), Channel(color.Blue), alpha);
    }

    /// <summary>
    /// A [3,H,W] tensor in [0,1] drawn straight into a color model's input: light gray (220) with its middle
    /// third green (0, 130, 0), the "green" class of <see cref="Classes"/>.
    /// </summary>
    public static float[] GreenBandTensor(int height, int width)
    {
        int plane = height * width;
        var green = new float[3 * plane];
        Array.Fill(green, 220 / 255f);
        for (int i = plane / 3; i < 2 * plane / 3; i++)
        {
            (green[i], green[plane + i], green[(2 * plane) + i]) = (0, 130 / 255f, 0);
        }

        return green;
    }

    /// <summary>A square of the colour on noisy light gray, the picture <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static byte[] Square(SKColor color, int width, int height, Random random, byte alpha = 255, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        ArgumentNullException.ThrowIfNull(random);
        double brightness = 0.6 + (0.4 * random.NextDouble());
        int side = Math.Min(width, height) * 2 / 3, left = (width - side) / 2, top = (height - side) / 2;
        return ImageFiles.EncodeColor((x, y) => x >= left && x < left + side && y >= top && y < top + side
            ? Scaled(color, brightness, random, alpha)
            : Scaled(Background, 1, random, alpha), width, height, format);
    }

    /// <summary>
    /// Class folders <c>{root}/{blue,green,red}/NNN.png</c>, <paramref name="perClass"/> pictures each of 20..40
    /// pixels a side. With <paramref name="mislabeledEvery"/> &gt; 0, every such picture of a class shows the
    /// next class's colour (label noise, so that a model has mistakes to show on its card).
    /// </summary>
    public static string WriteFolders(string root, int perClass, int mislabeledEvery = 0, int seed = 7)
    {
        var random = new Random(seed);
        for (int c = 0; c < Classes.Length; c++)
        {
            string folder = Directory.CreateDirectory(Path.Combine(root, Classes[c].Name)).FullName;
            for (int i = 0; i < perClass; i++)
            {
                var color = mislabeledEvery > 0 && i % mislabeledEvery == mislabeledEvery - 1 ? Classes[(c + 1) % Classes.Length].Color : Classes[c].Color;
                File.WriteAllBytes(Path.Combine(folder, $"{i:D3}.png"), Square(color, random.Next(20, 41), random.Next(20, 41), random));
            }
        }

        return root;
    }
}
