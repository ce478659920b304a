using System.Diagnostics;
using System.Text;
using Lepton.Fuzz;
using Lepton.Tests;
using Xunit.Abstractions;

namespace Lepton.Reliability.Tests;

/// <summary>
/// A bounded run of the fuzz target (fuzz/Lepton.Fuzz) over mutated seeds: the request decoders may
/// refuse input only with InputException (a 4xx). The long run, under AFL, is in docs/reliability.md.
/// </summary>
public sealed class RequestDecoderFuzzTests(ITestOutputHelper output)
{
    private const int MaxInputs = 200_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    private static readonly string[] Tokens =
    [
        "1e39", "-1e39", "3e38", "NaN", "\"", "[", "]", "{", "}", ",", ":", "null", "true", "-0", "1e-46", "99999999999999999999",
        "\"inputs\"", "\"instances\"", "\"shape\"", "\"data\"", "\"datatype\"", "\"UINT8\"", "\"FP32\"", "\"name\"", "\"pixels\"", "[[[[[[[[[",
    ];

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        int edits = 1 + random.Next(8);
        for (int e = 0; e < edits && data.Count > 1; e++)
        {
            int at = 1 + random.Next(data.Count - 1); // keep the selector byte
            switch (random.Next(7))
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data[at] = (byte)random.Next(256);
                    break;
                case 2:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16)));
                    break;
                case 3:
                    data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4:
                    data.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                    break;
                case 5:
                    data.RemoveRange(at, data.Count - at); // truncate
                    break;
                default:
                    int from = 1 + random.Next(data.Count - 1), length = Math.Min(data.Count - from, 1 + random.Next(64));
                    data.InsertRange(at, data.GetRange(from, length)); // duplicate a block
                    break;
            }
        }

        return [.. data];
    }

    [Fact]
    public void MutatedRequests_AreRefusedOnlyWithInputException()
    {
        var seeds = RequestDecoders.Seeds().Concat(
        [
            [RequestDecoders.Image, .. BombFiles.Png(6300, 6300)],
            [RequestDecoders.Image, .. BombFiles.Jpeg(900, 900)],
            [RequestDecoders.Image, .. ImageFiles.AsPhoto(TinyModels.ImageFor(7))],
        ]).ToArray();
        var random = new Random(20261127);
        var outcomes = new Dictionary<int, int>();
        var watch = Stopwatch.StartNew();
        int run = 0;
        for (; run < MaxInputs && watch.Elapsed < Budget; run++)
        {
            byte[] input = run < seeds.Length ? seeds[run] : Mutate(seeds[random.Next(seeds.Length)], random);
            int status;
            try
            {
                status = RequestDecoders.Run(input);
            }
            catch (Exception ex)
            {
                string saved = Path.Combine(Path.GetTempPath(), $"lepton-fuzz-finding-{run}");
                File.WriteAllBytes(saved, input);
                throw new Xunit.Sdk.XunitException($"input {run} (saved to {saved}) raised {ex.GetType().Name}: {ex.Message}");
            }

            outcomes[status] = outcomes.GetValueOrDefault(status) + 1;
        }

        output.WriteLine($"{run} inputs in {watch.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"))}");
        Assert.True(run >= 1000, $"only {run} inputs ran");
        Assert.Contains(200, outcomes.Keys);
        Assert.Contains(400, outcomes.Keys);
    }
}
