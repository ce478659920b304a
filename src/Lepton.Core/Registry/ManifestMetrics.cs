using Lepton.Core.Evaluation;

namespace Lepton.Core.Registry;

/// <summary>The scalar metrics a manifest keeps, by name, so publishers and the quality gate agree on them.</summary>
public static class ManifestMetrics
{
    public const string Accuracy = "accuracy";
    public const string MacroF1 = "macroF1";
    public const string TestExamples = "testExamples";

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
