using Lepton.Cli;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Decoding;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;

const string Usage = """
    lepton: publish, serve and query models.

    usage:
      lepton pipeline run --name N --data <folder or archive> [--arch cnn] [--epochs 5] [--train-limit K]
                          [--test-limit K] [--min-accuracy X] [--batch-size B] [--lr X] [--seed S] [--work DIR] [--plain]
      lepton datasets upload <name> <archive> [--settings lepton.json] [--wait [--api URL] [--key K]]
      lepton datasets list
      lepton serve [--port 8080] [--host 127.0.0.1] [--admin-key K] [--trust-proxy]
      lepton models publish --name N (--model model.onnx | --run <trainer output folder>) [--model path] [--data <dataset folder>]
      lepton models list
      lepton models show <name>
      lepton models promote <name> <version> [--alias production]
      lepton models card <name> [<version>] --out <folder>   (card.json and its images; default: production, else latest)
      lepton predict <name> <image.png...> [--version v | --alias a] [--top k]
      lepton bench-onnx <model.onnx> --data <dataset folder> --out <folder>   (raw ONNX Runtime throughput, explain latency)

    every command takes --store <folder | Blob connection string | account URL>
    (default: LEPTON_STORE, else ./.lepton)
    """;

if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var rest = new List<string>(args[1..]);
    string? store = null;
    int storeIndex = rest.IndexOf("--store");
    if (storeIndex >= 0)
    {
        if (storeIndex + 1 >= rest.Count)
        {
            throw new UsageException("--store needs a value");
        }

        store = rest[storeIndex + 1];
        rest.RemoveRange(storeIndex, 2);
    }

    switch (args[0])
    {
        case "serve":
            return await ServeCommand.RunAsync(new CliArgs(rest, new HashSet<string> { "--port", "--host", "--admin-key" }, new HashSet<string> { "--trust-proxy" }), store, Console.Out);
        case "models":
            return await ModelsCommand.RunAsync(rest, new ModelRegistry(ArtifactStores.Open(store)), Console.Out);
        case "predict":
        {
            using var runtime = new ModelRuntime(new ModelRegistry(ArtifactStores.Open(store)), new InferenceOptions { Batching = false });
            return await PredictCommand.RunAsync(new CliArgs(rest, new HashSet<string> { "--version", "--alias", "--top" }), runtime, Console.Out);
        }

        case "datasets":
            return await DatasetsCommand.RunAsync(rest, new ModelRegistry(ArtifactStores.Open(store)), Console.Out);
        case "pipeline":
            return await PipelineCommand.RunAsync(rest, new ModelRegistry(ArtifactStores.Open(store)), Console.Out);
        case "bench-onnx":
            return await BenchOnnxCommand.RunAsync(new CliArgs(rest, new HashSet<string> { "--data", "--out", "--seconds" }), Console.Out);
        default:
            throw new UsageException($"unknown command '{args[0]}'");
    }
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"lepton: {ex.Message}\n(lepton --help lists the commands)");
    return 2;
}
catch (Exception ex) when (ex is InvalidNameException or ModelNotFoundException or RegistryDataException or InputException or InvalidDataException or ModelIntegrityException or ArtifactNotFoundException or ArtifactConflictException or Lepton.Core.Data.DatasetFormatException or FileNotFoundException or Lepton.Pipeline.Compute.TrainerNotFoundException)
{
    Console.Error.WriteLine($"lepton: {ex.Message}");
    return 1;
}
catch (Exception ex) when (ex is Azure.RequestFailedException or AggregateException or HttpRequestException or IOException or UnauthorizedAccessException or Azure.Identity.AuthenticationFailedException)
{
    Console.Error.WriteLine($"lepton: {ex.Message}");
    return 1;
}
