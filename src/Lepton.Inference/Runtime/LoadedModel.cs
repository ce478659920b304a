using System.Collections.Concurrent;
using System.Threading.Channels;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lepton.Inference.Runtime;

/// <summary>
/// One model version in memory: an ONNX Runtime session created once and shared by every request.
/// With batching on, a request that finds the model idle runs at once on its own thread; requests that
/// arrive while it runs are queued and merged into one session run by a worker, which takes whatever is
/// queued (up to the batch limit) the moment its previous run ends. An idle server adds no delay; a
/// busy one runs larger, cheaper batches.
/// </summary>
public sealed class LoadedModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly InferenceSession? _aloneSession;
    private readonly Channel<Pending>? _queue;
    private readonly Task[] _workers = [];
    private readonly Lock _gate = new();
    private readonly int _maxBatch;
    private int _users;
    private int _inlineBusy;
    private bool _retired;
    private bool _disposed;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _outputValues;
    private readonly bool _fixedImage;
    private readonly ConcurrentBag<SingleRun> _singles = [];
    private static readonly RunOptions s_runOptions = new();
    private static int s_liveSessions;

    private sealed record Pending(float[] Pixels, int Count, TaskCompletionSource<float[]> Result);

    public LoadedModel(ModelManifest manifest, byte[] model, InferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(options);
        Manifest = manifest;
        _session = OnnxSessions.Open(model, options.IntraOpThreads, options.IntraOpSpinning);
        Interlocked.Increment(ref s_liveSessions);
        try
        {
            var input = _session.InputMetadata.First();
            InputName = input.Key;
            InputDatatype = TensorTypes.ToDatatype(input.Value.ElementDataType);
            InputShape = input.Value.Dimensions;
            var output = _session.OutputMetadata.First();
            OutputName = output.Key;
            OutputShape = output.Value.Dimensions;
            _inputNames = [InputName];
            _outputNames = [OutputName];
            _outputValues = OutputShape.Skip(1).All(d => d > 0) ? OutputShape.Skip(1).Aggregate(1, (a, d) => a * d) : 0;
            _fixedImage = InputShape.Skip(1).All(d => d > 0);
            Signature = manifest.Signature;
            bool tokens = Signature.Input.Kind == InputKind.Text;
            if (input.Value.ElementDataType != (tokens ? TensorElementType.Int64 : TensorElementType.Float) || output.Value.ElementDataType != TensorElementType.Float)
            {
                throw new InvalidDataException($"model '{manifest.Name}' version {manifest.Version}: only float32 inputs (int64 token ids for text) and float32 outputs are served");
            }

            var tensors = (Inputs: ModelInspector.Specs(_session.InputMetadata), Outputs: ModelInspector.Specs(_session.OutputMetadata));
            if (Signature.Check(tensors.Inputs, tensors.Outputs) is { Count: > 0 } problems)
            {
                throw new InvalidDataException($"model '{manifest.Name}' version {manifest.Version}: {string.Join("; ", problems)}");
            }

            ImageValues = InputShape.Skip(1).Aggregate(1, (a, d) => a * Math.Max(d, 1));
            Classes = Math.Max(OutputShape[^1], 1);
            _maxBatch = Math.Max(1, options.MaxBatchSize);
            if (tokens)
            {
                Tokenizer = OnnxRowScorer.ReadTokenizer(_session.ModelMetadata.CustomMetadataMap)
                    ?? throw new InvalidDataException($"model '{manifest.Name}' version {manifest.Version}: a text model without its tokenizer ({Core.Data.Tables.TextTokenizer.MetadataKey})");
                if (Tokenizer.MaxTokens != ImageValues)
                {
                    throw new InvalidDataException($"model '{manifest.Name}' version {manifest.Version}: the tokenizer writes {Tokenizer.MaxTokens} ids, the model takes {ImageValues}");
                }

                RunTokens(new long[ImageValues], 1); // warm-up
            }
            else
            {
                Featurizer = Signature.Input.Table is { } table ? new Core.Data.Tables.TableFeaturizer(table.Columns) : null;
                Run(new float[ImageValues], 1); // warm-up: the first real request pays no initialization
                if (options.SpinWhenAlone && !options.IntraOpSpinning && _fixedImage && _outputValues > 0 && model.LongLength <= options.SpinWhenAloneMaxModelBytes)
                {
                    _aloneSession = OnnxSessions.Open(model, options.IntraOpThreads, spinning: true);
                    Interlocked.Increment(ref s_liveSessions);
                    RunOne(new float[ImageValues], _aloneSession);
                }
            }
        }
        catch
        {
            DisposeSession(); // a model that cannot serve keeps no native memory
            throw;
        }

        if (options.Batching)
        {
            _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
            _workers = [Task.Run(WorkAsync), Task.Run(WorkAsync)];
        }
    }

    /// <summary>ONNX Runtime sessions of loaded models not yet disposed, in this process.</summary>
    public static int LiveSessions => Volatile.Read(ref s_liveSessions);

    /// <summary>What the model takes and gives (from its manifest, checked against the session's tensors).</summary>
    public ModelSignature Signature { get; }

    /// <summary>How pictures become this model's input; refused (400) when the model does not take pictures.</summary>
    public ImageInputSpec ImageInput => Signature.Input.Image
        ?? throw new Decoding.InputException(Decoding.InputProblem.Invalid,
            $"model '{Manifest.Name}' version {Manifest.Version} takes {Signature.Input.Kind.ToString().ToLowerInvariant()} input, not images");

    public ModelManifest Manifest { get; }

    /// <summary>A text model's tokenizer, from its metadata: requests are tokenized exactly as training did.</summary>
    public Core.Data.Tables.TextTokenizer? Tokenizer { get; }

    /// <summary>A table model's featurizer, from its signature's columns.</summary>
    public Core.Data.Tables.TableFeaturizer? Featurizer { get; }

    public string InputName { get; }

    public string InputDatatype { get; }

    /// <summary>The input shape; -1 for the dynamic batch dimension.</summary>
    public int[] InputShape { get; }

    public string OutputName { get; }

    public int[] OutputShape { get; }

    /// <summary>Values per image (C*H*W).</summary>
    public int ImageValues { get; }

    public int Classes { get; }

    /// <summary>
    /// Scores [count, classes] for <paramref name="count"/> images. An idle model answers on the calling
    /// thread (no hand-off: the fastest single request); a busy one queues the request for a batch.
    /// </summary>
    public Task<float[]> PredictAsync(float[] pixels, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<float[]>(cancellationToken);
        }

        if (pixels.Length != count * ImageValues)
        {
            throw new ArgumentException($"{pixels.Length} values for {count} images of {ImageValues}");
        }

        if (_queue is null || count >= _maxBatch)
        {
            return Task.FromResult(Run(pixels, count));
        }

        // Nothing running: answer on this thread, no hand-off. Requests that arrive meanwhile queue up
        // and the workers merge them.
        if (Interlocked.CompareExchange(ref _inlineBusy, 1, 0) == 0)
        {
            try
            {
                return Task.FromResult(Run(pixels, count));
            }
            finally
            {
                Volatile.Write(ref _inlineBusy, 0);
            }
        }

        var pending = new Pending(pixels, count, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            return Task.FromResult(Run(pixels, count));
        }

        return pending.Result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Runs the session once on a batch.</summary>
    public float[] Run(float[] pixels, int count)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count == 1 && _outputValues > 0 && _fixedImage && pixels.Length == ImageValues)
        {
            return RunOne(pixels);
        }

        var inputShape = new long[InputShape.Length];
        inputShape[0] = count;
        for (int i = 1; i < inputShape.Length; i++)
        {
            inputShape[i] = InputShape[i];
        }

        // The input is pinned where it lies, and the answer written straight into the array returned:
        // no tensor copies, no NamedOnnxValue wrappers, no result collection to walk.
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, inputShape);
        if (_outputValues > 0)
        {
            var scores = new float[count * _outputValues];
            var outputShape = new long[OutputShape.Length];
            outputShape[0] = count;
            for (int i = 1; i < outputShape.Length; i++)
            {
                outputShape[i] = OutputShape[i];
            }

            using var output = OrtValue.CreateTensorValueFromMemory(scores, outputShape);
            _session.Run(s_runOptions, _inputNames, [input], _outputNames, [output]);
            return scores;
        }

        // An output with dynamic dimensions beyond the batch: ONNX Runtime allocates it.
        using var results = _session.Run(s_runOptions, _inputNames, [input], _outputNames);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// One image through a reused pair of tensors (the common request): its pixels copied into a pinned
    /// input whose OrtValue was made once, the scores read from a pinned output likewise. Creating the
    /// two OrtValues cost about a tenth of a single-image run.
    /// </summary>
    private float[] RunOne(float[] pixels) =>
        RunOne(pixels, _aloneSession is not null && ClientConnections.One ? _aloneSession : _session);

    private float[] RunOne(float[] pixels, InferenceSession session)
    {
        if (!_singles.TryTake(out var slot))
        {
            slot = new SingleRun(ImageValues, [1, .. InputShape[1..]], _outputValues, [1, .. OutputShape[1..]]);
        }

        try
        {
            pixels.CopyTo(slot.Input, 0);
            session.Run(s_runOptions, _inputNames, slot.Inputs, _outputNames, slot.Outputs);
            return slot.Output.ToArray();
        }
        finally
        {
            _singles.Add(slot);
        }
    }

    /// <summary>A pinned input and output of one image and their OrtValues, made once and reused.</summary>
    private sealed class SingleRun : IDisposable
    {
        public SingleRun(int inputValues, long[] inputShape, int outputValues, long[] outputShape)
        {
            Input = GC.AllocateArray<float>(inputValues, pinned: true);
            Output = GC.AllocateArray<float>(outputValues, pinned: true);
            Inputs = [OrtValue.CreateTensorValueFromMemory(Input, inputShape)];
            Outputs = [OrtValue.CreateTensorValueFromMemory(Output, outputShape)];
        }

        public float[] Input { get; }

        public float[] Output { get; }

        public OrtValue[] Inputs { get; }

        public OrtValue[] Outputs { get; }

        public void Dispose()
        {
            Inputs[0].Dispose();
            Outputs[0].Dispose();
        }
    }

    /// <summary>Runs a text model once on token ids [count, T], on the calling thread.</summary>
    public float[] RunTokens(long[] ids, int count)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length != count * ImageValues)
        {
            throw new ArgumentException($"{ids.Length} ids for {count} texts of {ImageValues}");
        }

        var tensor = new DenseTensor<long>(ids, [count, ImageValues]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(InputName, tensor)], [OutputName]);
        return results[0].AsTensor<float>() is DenseTensor<float> dense ? dense.Buffer.ToArray() : results[0].AsTensor<float>().ToArray();
    }

    private async Task WorkAsync()
    {
        var reader = _queue!.Reader;
        var batch = new List<Pending>(_maxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int images = 0;
            while (images < _maxBatch && reader.TryPeek(out var next) && (images == 0 || images + next.Count <= _maxBatch) && reader.TryRead(out next))
            {
                batch.Add(next);
                images += next.Count;
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                float[] input;
                if (batch.Count == 1)
                {
                    input = batch[0].Pixels;
                }
                else
                {
                    input = new float[images * ImageValues];
                    int offset = 0;
                    foreach (var p in batch)
                    {
                        p.Pixels.CopyTo(input, offset);
                        offset += p.Pixels.Length;
                    }
                }

                float[] scores = Run(input, images);
                int row = 0;
                foreach (var p in batch)
                {
                    p.Result.TrySetResult(scores.AsSpan(row * Classes, p.Count * Classes).ToArray());
                    row += p.Count;
                }
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or ObjectDisposedException or ArgumentException)
            {
                foreach (var p in batch)
                {
                    p.Result.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>Marks the model as in use; false when it has been unloaded (load it again).</summary>
    internal bool TryAcquire()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return false;
            }

            _users++;
            return true;
        }
    }

    internal void Release()
    {
        bool dispose;
        lock (_gate)
        {
            _users--;
            dispose = _retired && _users == 0;
        }

        if (dispose)
        {
            Dispose();
        }
    }

    /// <summary>Unloads once the last request using it is done.</summary>
    internal void Retire()
    {
        bool dispose;
        lock (_gate)
        {
            _retired = true;
            dispose = _users == 0;
        }

        if (dispose)
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _retired = true;
        }

        _queue?.Writer.TryComplete();
        if (_workers.Length == 0)
        {
            DisposeSession();
            return;
        }

        // The workers end once the queue is drained; the session goes after them, without blocking this thread.
        _ = Task.WhenAll(_workers).ContinueWith(_ => DisposeSession(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void DisposeSession()
    {
        while (_singles.TryTake(out var slot))
        {
            slot.Dispose();
        }

        _session.Dispose();
        Interlocked.Decrement(ref s_liveSessions);
        if (_aloneSession is not null)
        {
            _aloneSession.Dispose();
            Interlocked.Decrement(ref s_liveSessions);
        }
    }
}
