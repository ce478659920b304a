using System.CommandLine;
using Lepton.CommandLine;
using Lepton.Core.Registry;
using Lepton.Core.Storage;

namespace Lepton.Cli;

/// <summary><c>lepton</c>: its commands, and <c>--store</c>, which every command takes.</summary>
public static class LeptonCommand
{
    public static RootCommand Create()
    {
        var store = CliOptions.Optional("--store", "store", "the registry: a folder, a Blob connection string (UseDevelopmentStorage=true) or an account URL", "LEPTON_STORE, else ./.lepton");
        store.Recursive = true;
        var root = new RootCommand("lepton: train, publish, serve and query models") { HelpName = "lepton" };
        root.Options.Add(store);
        root.Subcommands.Add(PipelineCommand.Create(store));
        root.Subcommands.Add(DatasetsCommand.Create(store));
        root.Subcommands.Add(ServeCommand.Create(store));
        root.Subcommands.Add(ModelsCommand.Create(store));
        root.Subcommands.Add(PredictCommand.Create(store));
        root.Subcommands.Add(BatchCommand.Create(store));
        root.Subcommands.Add(BenchOnnxCommand.Create());
        return root;
    }

    /// <summary>The registry <c>--store</c> names.</summary>
    public static ModelRegistry Registry(ParseResult result, Option<string?> store)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new ModelRegistry(ArtifactStores.Open(result.GetValue(store)));
    }
}
