using Lepton.Core.Contracts;
using Lepton.Core.Evaluation;

namespace Lepton.Core.Registry;

/// <summary>The scalar metrics a manifest keeps, by name, so publishers and the quality gate agree on them.</summary>
public static class ManifestMetrics
{
    public const string Accuracy = "accuracy";
    public const string MacroF1 = "macroF1";
    public const string TestExamples = "testExamples";

    /// <summary>A generator's Fréchet distance to the test images (lower is better), its floor and ceiling.</summary>
    public const string FrechetDistance = "frechetDistance";
    public const string FrechetFloor = "frechetFloor";
    public const string FrechetCeiling = "frechetCeiling";
    public const string MeanConfidence = "meanConfidence";
    public const string ClassEntropy = "classEntropy";

    /// <summary>The metrics of a generator's sample quality.</summary>
    public static Dictionary<string, double> From(GenerationQuality quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [FrechetDistance] = quality.FrechetDistance,
            [FrechetFloor] = quality.FrechetFloor,
            [FrechetCeiling] = quality.FrechetCeiling,
            [MeanConfidence] = quality.MeanConfidence,
            [ClassEntropy] = quality.ClassEntropy,
            [TestExamples] = quality.RealImages,
        };
    }

    /// <summary>The metrics of a test-set evaluation.</summary>
    public static Dictionary<string, double> From(ClassificationReport test)
    {
        ArgumentNullException.ThrowIfNull(test);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [Accuracy] = test.Accuracy,
            [MacroF1] = test.MacroF1,
            [TestExamples] = test.Examples,
        };
    }
}
