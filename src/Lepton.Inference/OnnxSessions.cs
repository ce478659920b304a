using Microsoft.ML.OnnxRuntime;

namespace Lepton.Inference;

/// <summary>How every ONNX Runtime session here is opened: all graph optimizations, optionally a thread count.</summary>
public static class OnnxSessions
{
    public static InferenceSession Open(string modelPath, int? intraOpThreads = null)
    {
        using var options = Options(intraOpThreads);
        return new InferenceSession(modelPath, options);
    }

    public static InferenceSession Open(byte[] model, int? intraOpThreads = null)
    {
        using var options = Options(intraOpThreads);
        return new InferenceSession(model, options);
    }

    private static SessionOptions Options(int? intraOpThreads)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads is int threads)
        {
            options.IntraOpNumThreads = threads;
        }

        return options;
    }
}
