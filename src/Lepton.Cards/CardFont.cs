using ScottPlot;
using SkiaSharp;

namespace Lepton.Cards;

/// <summary>
/// The one font card images are labeled with: DejaVu Sans, shipped in this assembly. ScottPlot asks its
/// font resolvers for a typeface by name and falls back to the system's; SkiaSharp's Linux build without
/// dependencies has no fontconfig, so on a server the system has no font at all and every label would
/// be empty. This resolver answers for <see cref="Name"/> from the embedded file, on any machine.
/// </summary>
public sealed class CardFont : IFontResolver
{
    public const string Name = "DejaVu Sans";

    private static readonly Lazy<SKTypeface> Embedded = new(() =>
    {
        using var stream = typeof(CardFont).Assembly.GetManifestResourceStream("Lepton.Cards.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("the embedded font Lepton.Cards.DejaVuSans.ttf is missing");
        return SKTypeface.FromStream(stream) ?? throw new InvalidOperationException("the embedded font could not be read");
    });

    private static readonly Lazy<bool> Registered = new(() =>
    {
        Fonts.FontResolvers.Insert(0, new CardFont());
        return true;
    });

    /// <summary>The typeface, for text drawn with SkiaSharp directly.</summary>
    public static SKTypeface Typeface => Embedded.Value;

    /// <summary>Makes ScottPlot resolve <see cref="Name"/> to the embedded font (once per process).</summary>
    public static void Register() => _ = Registered.Value;

    public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
        string.Equals(fontName, Name, StringComparison.OrdinalIgnoreCase) ? Embedded.Value : null;

    public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
        string.Equals(fontName, Name, StringComparison.OrdinalIgnoreCase) ? Embedded.Value : null;
}
