namespace Lepton.Pipeline.Activities;

/// <summary>
/// The quality gate for generators: the Fréchet distance of the new version's samples to the test images
/// (lower is better) must be at most the threshold and not above the production version's.
/// </summary>
public static class GeneratorGate
{
    public static PromotionDecision Decide(double distance, double? maximum, int? champion, double? championDistance)
    {
        if (double.IsNaN(distance))
        {
            return new PromotionDecision(false, champion, "the Fréchet distance is not a number");
        }

        if (maximum is double limit && distance > limit)
        {
            return new PromotionDecision(false, champion, $"Fréchet distance {distance:F2} is above the maximum {limit:F2}");
        }

        if (champion is int version && championDistance is double best && distance > best)
        {
            return new PromotionDecision(false, champion, $"Fréchet distance {distance:F2} is worse than production (version {version}: {best:F2})");
        }

        string limitText = maximum is double m ? $"meets the maximum {m:F2}" : "has no maximum";
        return new PromotionDecision(true, champion, champion is int previous
            ? $"Fréchet distance {distance:F2} {limitText} and is not worse than version {previous}"
            : $"Fréchet distance {distance:F2} {limitText}; first production version");
    }
}
