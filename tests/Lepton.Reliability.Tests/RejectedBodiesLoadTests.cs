using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Lepton.Tests;
using Xunit.Abstractions;

namespace Lepton.Reliability.Tests;

/// <summary>
/// Issue 9, item 1: 500 concurrent connections posting bodies the decoders reject, 5 s a round, 5
/// rounds. Before the decoder disposed its native stream this killed the server (SIGSEGV in SkiaSharp)
/// within three rounds of 415s alone: rounds 1-3 send only bodies that are not images (415), rounds 4-5
/// every kind of rejected body.
/// </summary>
public sealed class RejectedBodiesLoadTests(ITestOutputHelper output)
{
    private const int Connections = 500;
    private const int Rounds = 5;
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(5);

    private static IReadOnlyList<(string MediaType, byte[] Body)> RejectedBodies()
    {
        var random = new Random(1);
        byte[] Noise(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        byte[] photo = ImageFiles.AsPhoto(TinyModels.ImageFor(4), scale: 4);
        return
        [
            ("image/png", Noise(2048)),                             // 415: not an image
            ("image/jpeg", Encoding.ASCII.GetBytes("not a jpeg")),  // 415
            ("image/png", [0x89, 0x50, 0x4E, 0x47, .. Noise(600)]), // 415: a PNG signature, then noise
            ("image/png", BombFiles.Truncated(photo, 0.5)),         // 400: truncated
            ("image/png", BombFiles.Png(6300, 6300)),               // 413: over the pixel limit
            ("application/json", Encoding.UTF8.GetBytes("{\"instances\": [[1e39]]}")), // 400
        ];
    }

    [Fact]
    public async Task FiveHundredConnectionsOfRejectedBodies_FiveRounds_ServerAliveAndEveryAnswer4xx()
    {
        await using var host = await TinyServer.StartAsync("load", versions: 1);
        var all = RejectedBodies();
        var notImages = all.Take(3).ToArray();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Connections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { BaseAddress = host.Server.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        long peakResident = 0;

        for (int round = 1; round <= Rounds; round++)
        {
            var bodies = round <= 3 ? notImages : all;
            var statuses = new ConcurrentDictionary<int, int>();
            var failures = new ConcurrentQueue<string>();
            var deadline = Stopwatch.StartNew();
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakResident = Math.Max(peakResident, Probes.ResidentBytes(host.Server.ProcessId));
                    await Task.Delay(50);
                }
            });
            await Task.WhenAll(Enumerable.Range(0, Connections).Select(worker => Task.Run(async () =>
            {
                for (int i = worker; deadline.Elapsed < Round; i++)
                {
                    var (mediaType, body) = bodies[i % bodies.Count];
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                    try
                    {
                        using var response = await client.PostAsync("/api/models/load/predict", content);
                        statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        failures.Enqueue(ex.Message); // refused, reset or timed out: the server is dead or drowning
                    }
                }
            })));
            await sampling.CancelAsync();
            await sampler;

            string summary = string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"));
            output.WriteLine($"round {round}: {statuses.Values.Sum()} answers in {deadline.Elapsed.TotalSeconds:F1} s ({summary}), {failures.Count} connection failures, peak resident {peakResident / (1024 * 1024)} MB");
            Assert.False(host.Server.HasExited, $"the server died in round {round}: {host.Server.Output}");
            Assert.Empty(failures);
            Assert.All(statuses.Keys, status => Assert.InRange(status, 400, 499));
            Assert.True(statuses.Values.Sum() > 0);
            using var live = await host.Server.Client.GetAsync("/v2/health/live");
            Assert.True(live.IsSuccessStatusCode);
        }
    }
}
