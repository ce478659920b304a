using System.Globalization;
using Lepton.Core.Contracts;
using Lepton.Core.Evaluation;
using ScottPlot;
using SkiaSharp;

namespace Lepton.Cards;

/// <summary>The images of a classifier's card, as PNG bytes: training curves, confusion matrix, most confident mistakes.</summary>
public static class CardPlots
{
    /// <summary>Loss and accuracy per epoch, train and validation, side by side (1000x400).</summary>
    public static byte[] Curves(TrainingHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Epochs.Count == 0)
        {
            throw new ArgumentException("history.json has no epochs", nameof(history));
        }

        CardFont.Register();
        double[] epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        using var loss = Panel("Loss", "loss", Alignment.UpperRight, epochs,
            ("train", history.Epochs.Select(e => (double?)e.TrainLoss)),
            ("validation", history.Epochs.Select(e => e.ValidationLoss)));
        using var accuracy = Panel("Accuracy", "accuracy", Alignment.LowerRight, epochs,
            ("train", history.Epochs.Select(e => (double?)e.TrainAccuracy)),
            ("validation", history.Epochs.Select(e => e.ValidationAccuracy)));
        return Side(500, 400, loss, accuracy);
    }

    /// <summary>A sweep's trials: validation accuracy after each epoch, a line per trial (dashed: stopped early), the best drawn thicker, the legend beside (1100x450).</summary>
    public static byte[] Sweep(Core.Cards.CardSweep sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        CardFont.Register();
        using var plot = new Plot();
        foreach (var trial in sweep.Trials)
        {
            var points = trial.ValidationAccuracies.Select((a, i) => (Epoch: i + 1.0, Accuracy: a)).Where(p => p.Accuracy is double v && double.IsFinite(v)).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var line = plot.Add.Scatter(points.Select(p => p.Epoch).ToArray(), points.Select(p => p.Accuracy!.Value).ToArray());
            bool best = trial.Trial == sweep.BestTrial;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{trial.Trial}: {trial.Settings}{(best ? " (best)" : trial.State == "succeeded" ? string.Empty : $" ({trial.State})")}");
            line.LineWidth = best ? 4 : 1.5f;
            line.MarkerSize = best ? 9 : 6;
            line.LinePattern = trial.State == "stopped" ? LinePattern.Dashed : LinePattern.Solid;
        }

        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Sweep: validation accuracy of {sweep.Trials.Count} trials"));
        plot.XLabel("epoch");
        plot.YLabel("validation accuracy");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Edge.Right);
        plot.Font.Set(CardFont.Name);
        return plot.GetImageBytes(1100, 450, ImageFormat.Png);
    }

    /// <summary>The confusion matrix as a heatmap (colour: share of the true class; text: counts), labeled.</summary>
    public static byte[] Confusion(ClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        CardFont.Register();
        int k = report.ConfusionMatrix.Length;
        var shares = new double[k, k];
        for (int actual = 0; actual < k; actual++)
        {
            double total = Math.Max(1, report.ConfusionMatrix[actual].Sum());
            for (int predicted = 0; predicted < k; predicted++)
            {
                shares[actual, predicted] = report.ConfusionMatrix[actual][predicted] / total;
            }
        }

        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        for (int actual = 0; actual < k; actual++)
        {
            for (int predicted = 0; predicted < k; predicted++)
            {
                var text = plot.Add.Text(report.ConfusionMatrix[actual][predicted].ToString(CultureInfo.InvariantCulture), predicted, k - 1 - actual);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = k > 12 ? 8 : 11;
                text.LabelFontColor = shares[actual, predicted] > 0.5 ? Colors.Black : Colors.White;
            }
        }

        string[] labels = report.Classes.Select(c => c.Label).ToArray();
        double[] positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Reverse().ToArray(), labels);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Axes.Left.MinimumSize = 90;
        plot.Add.ColorBar(heatmap);
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Confusion matrix ({report.Examples} test images, accuracy {report.Accuracy:P1})"));
        plot.XLabel("predicted (colour: share of the true class)");
        plot.YLabel("true");
        plot.Font.Set(CardFont.Name);
        return plot.GetImageBytes(760, 680, ImageFormat.Png);
    }

    /// <summary>One wrong prediction: the image (C*H*W bytes as the model sees it: gray, or RGB planes), its true and predicted class and confidence.</summary>
    public sealed record Mistake(byte[] Pixels, int Height, int Width, string Actual, string Predicted, float Confidence, int Channels = 1);

    /// <summary>A grid of wrong predictions, each image enlarged (4x at 28x28, about 112 pixels a side when larger) with its true and predicted labels.</summary>
    public static byte[] Mistakes(IReadOnlyList<Mistake> mistakes, string title)
    {
        ArgumentNullException.ThrowIfNull(mistakes);
        const int Columns = 4, Pad = 10, TextHeight = 34, TitleHeight = 36;
        if (mistakes.Count == 0)
        {
            throw new ArgumentException("no mistakes to show", nameof(mistakes));
        }

        int scale = Math.Max(1, 4 * 28 / Math.Max(mistakes[0].Height, mistakes[0].Width));
        int imageWidth = mistakes[0].Width * scale, imageHeight = mistakes[0].Height * scale;
        int cellWidth = Math.Max(imageWidth, 180) + Pad, cellHeight = imageHeight + TextHeight + Pad;
        int rows = (mistakes.Count + Columns - 1) / Columns;
        int width = (Columns * cellWidth) + Pad, height = TitleHeight + (rows * cellHeight) + Pad;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(CardFont.Typeface, 11);
        using var titleFont = new SKFont(CardFont.Typeface, 16);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var wrong = new SKPaint { Color = new SKColor(0xB0, 0x1C, 0x1C), IsAntialias = true };
        canvas.DrawText(title, Pad, 24, SKTextAlign.Left, titleFont, ink);
        for (int i = 0; i < mistakes.Count; i++)
        {
            var m = mistakes[i];
            int left = Pad + ((i % Columns) * cellWidth), top = TitleHeight + ((i / Columns) * cellHeight);
            using var bitmap = Bitmap(m);
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, new SKRect(left, top, left + imageWidth, top + imageHeight), new SKSamplingOptions(SKFilterMode.Nearest));
            canvas.DrawText($"true: {m.Actual}", left, top + imageHeight + 14, SKTextAlign.Left, font, ink);
            canvas.DrawText(string.Create(CultureInfo.InvariantCulture, $"predicted: {m.Predicted}, {m.Confidence:P0}"), left, top + imageHeight + 29, SKTextAlign.Left, font, wrong);
        }

        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The mistake's pixels as a bitmap: gray as they are, RGB planes interleaved.</summary>
    private static SKBitmap Bitmap(Mistake m)
    {
        if (m.Channels == 1)
        {
            var gray = new SKBitmap(new SKImageInfo(m.Width, m.Height, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(m.Pixels, 0, gray.GetPixels(), m.Pixels.Length);
            return gray;
        }

        int plane = m.Width * m.Height;
        var rgba = new byte[plane * 4];
        for (int i = 0; i < plane; i++)
        {
            (rgba[4 * i], rgba[(4 * i) + 1], rgba[(4 * i) + 2], rgba[(4 * i) + 3]) = (m.Pixels[i], m.Pixels[plane + i], m.Pixels[(2 * plane) + i], 255);
        }

        var color = new SKBitmap(new SKImageInfo(m.Width, m.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, color.GetPixels(), rgba.Length);
        return color;
    }

    private static Plot Panel(string title, string yLabel, Alignment legend, double[] epochs, params (string Name, IEnumerable<double?> Values)[] series)
    {
        var plot = new Plot();
        foreach (var (name, values) in series)
        {
            var points = epochs.Zip(values).Where(p => p.Second is double v && double.IsFinite(v)).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var line = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second!.Value).ToArray());
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = epochs.Length > 40 ? 0 : 6;
        }

        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(legend);
        plot.Font.Set(CardFont.Name);
        return plot;
    }

    private static byte[] Side(int panelWidth, int panelHeight, params Plot[] plots)
    {
        using var surface = SKSurface.Create(new SKImageInfo(panelWidth * plots.Length, panelHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        for (int i = 0; i < plots.Length; i++)
        {
            canvas.Save();
            canvas.Translate(i * panelWidth, 0);
            canvas.ClipRect(new SKRect(0, 0, panelWidth, panelHeight));
            plots[i].Render(canvas, panelWidth, panelHeight);
            canvas.Restore();
        }

        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
