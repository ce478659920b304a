using Lepton.Fuzz;
using SharpFuzz;

// lepton-fuzz: the request decoders under AFL (default), libFuzzer (--libfuzzer), or replayed over
// files (--replay DIR); --seeds DIR writes the seed corpus. See docs/reliability.md.
switch (args)
{
    case ["--seeds", var folder]:
        Directory.CreateDirectory(folder);
        var seeds = RequestDecoders.Seeds();
        for (int i = 0; i < seeds.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"seed-{i}"), seeds[i]);
        }

        return 0;
    case ["--replay", var folder]:
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            Console.WriteLine($"{RequestDecoders.Run(File.ReadAllBytes(file))} {file}");
        }

        return 0;
    case ["--libfuzzer"]:
        Fuzzer.LibFuzzer.Run(span => RequestDecoders.Run(span));
        return 0;
    default:
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            RequestDecoders.Run(buffer.ToArray());
        });
        return 0;
}
