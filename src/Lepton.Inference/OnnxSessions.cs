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

    /// <summary>
    /// A session over model bytes. Without <paramref name="spinning"/> the intra-op threads sleep as soon
    /// as a run ends instead of spinning for the next one: a server's runs come one request at a time,
    /// and on a machine with few cores a spinning pool takes the core the request's own thread needs.
    /// </summary>
    public static InferenceSession Open(byte[] model, int? intraOpThreads = null, bool spinning = true)
    {
        using var options = Options(intraOpThreads);
        if (!spinning)
        {
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        }

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
