using System.Globalization;
using System.Text.RegularExpressions;
using Lepton.Core.Registry;

namespace Lepton.Core.Cards;

/// <summary>Where a version's card lives and which file names it may have.</summary>
public static partial class CardFiles
{
    public const string Folder = "card";
    public const string CardFile = "card.json";
    public const string Curves = "curves.png";
    public const string Confusion = "confusion.png";
    public const string Mistakes = "mistakes.png";
    public const string Samples = "samples.png";
    public const string Sweep = "sweep.png";

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,31}\.(png|json)\z")]
    private static partial Regex FileNamePattern();

    /// <summary>A card file name: lower-case letters, digits and '-', then .png or .json.</summary>
    public static bool IsValidFileName(string? file) => file is not null && FileNamePattern().IsMatch(file);

    /// <summary><c>models/{name}/versions/{v}/card/{file}</c>.</summary>
    public static string PathOf(string name, int version, string file)
    {
        RegistryNames.ValidateModelName(name);
        if (!IsValidFileName(file))
        {
            throw new ArgumentException($"invalid card file name '{file}'", nameof(file));
        }

        return $"{ModelRegistry.VersionPrefix(name)}{version.ToString(CultureInfo.InvariantCulture)}/{Folder}/{file}";
    }

    /// <summary>The name an image goes by in the API (<c>curves</c> for <c>curves.png</c>).</summary>
    public static string ImageKey(string file) => Path.GetFileNameWithoutExtension(file);
}
