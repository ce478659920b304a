using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lepton.CommandLine;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline;
using Lepton.Pipeline.Orchestration;

namespace Lepton.Cli;

/// <summary>
/// <c>lepton datasets upload NAME FILE [--settings lepton.json] [--wait]</c>: validates a dataset archive
/// here (the checks preparation makes), then puts it (and its settings) at <c>datasets/NAME/</c> in the
/// store, where the Functions app starts its run; <c>--wait</c> follows that run to its end.
/// <c>lepton datasets list</c>: the uploads, their runs and the versions they published.
/// </summary>
public static class DatasetsCommand
{
    public const string FunctionKeyVariable = "LEPTON_FUNCTION_KEY";

    public static Command Create(Option<string?> store)
    {
        var command = new Command("datasets", "dataset uploads the Functions app trains on: upload, list");
        command.Subcommands.Add(Upload(store));
        var list = new Command("list", "the uploads, their runs and the versions they published");
        list.SetAction((result, cancellationToken) => ListAsync(LeptonCommand.Registry(result, store), Console.Out, cancellationToken));
        command.Subcommands.Add(list);
        return command;
    }

    private static Command Upload(Option<string?> store)
    {
        var name = CliOptions.Positional<string>("name", "the model the upload trains", ArgumentArity.ExactlyOne);
        var file = CliOptions.Positional<string>("file", "a dataset folder, or a .zip, .tar.gz or .tgz archive", ArgumentArity.ExactlyOne);
        var settings = CliOptions.Optional("--settings", "lepton.json", "training settings uploaded beside it (job spec fields, minimumAccuracy, maximumFrechetDistance)", "none");
        var wait = CliOptions.Flag("--wait", "follow the run the app starts to its end");
        var api = CliOptions.Text("--api", "url", "the Functions app, for --wait", "http://127.0.0.1:7071");
        var key = CliOptions.Optional("--key", "key", "the function key, for --wait", FunctionKeyVariable);
        var timeout = CliOptions.Whole("--timeout", "minutes to wait, for --wait", 120, 1, 24 * 60);
        var command = new Command("upload", "validate a dataset here, then upload it to datasets/NAME/ where the Functions app starts its run") { name, file, settings, wait, api, key, timeout };
        command.SetAction((result, cancellationToken) =>
        {
            var options = new UploadOptions(result.GetValue(settings), result.GetValue(wait), result.GetValue(api)!, result.GetValue(key), result.GetValue(timeout));
            return UploadAsync(options, result.GetValue(name)!, result.GetValue(file)!, LeptonCommand.Registry(result, store), Console.Out, cancellationToken);
        });
        return command;
    }

    private static async Task<int> UploadAsync(UploadOptions args, string name, string file, ModelRegistry registry, TextWriter output, CancellationToken cancellationToken)
    {
        RegistryNames.ValidateModelName(name);
        string? zipped = null;
        if (Directory.Exists(file))
        {
            // A dataset folder (the four IDX files, or class folders): uploaded as a zip of it.
            zipped = Path.Combine(Directory.CreateTempSubdirectory("lepton-upload-zip-").FullName, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(file))) + ".zip");
            System.IO.Compression.ZipFile.CreateFromDirectory(file, zipped);
            file = zipped;
        }

        try
        {
            return await UploadArchiveAsync(args, registry, name, file, output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (zipped is not null)
            {
                Directory.Delete(Path.GetDirectoryName(zipped)!, recursive: true);
            }
        }
    }

    private static async Task<int> UploadArchiveAsync(UploadOptions args, ModelRegistry registry, string name, string file, TextWriter output, CancellationToken cancellationToken)
    {
        string fileName = Path.GetFileName(file);
        if (!UploadScanner.IsArchive(fileName))
        {
            throw new UsageException($"{file}: a dataset upload is a folder, a .zip, .tar.gz or .tgz archive, or a .csv, .tsv or .jsonl table");
        }

        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"{file} does not exist");
        }

        // Refuse unknown or mistyped fields, and settings no run could use, here rather than at the trigger.
        string? settings = args.Settings is { } settingsFile ? await File.ReadAllTextAsync(settingsFile, cancellationToken).ConfigureAwait(false) : null;
        var request = new PipelineRequest { ModelName = name, Dataset = file };
        if (settings is not null)
        {
            request = UploadSettings.Parse(settings, args.Settings!).ApplyTo(request);
            var problems = request.Validate();
            if (problems.Count > 0)
            {
                throw new InvalidDataException($"{args.Settings}: {string.Join("; ", problems)}");
            }
        }

        // The same checks preparation makes, with the settings' image size and channels, here: a broken archive is never uploaded.
        string scratch = Directory.CreateTempSubdirectory("lepton-upload-").FullName;
        PreparedDataset prepared;
        try
        {
            prepared = DatasetPreparation.Prepare(file, scratch, images: ImageFolderOptions.From(request.Training), tables: Lepton.Core.Data.Tables.TableOptions.From(request.Training));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{file}: valid ({prepared.TrainExamples} training and {prepared.TestExamples} test images, {prepared.Labels.Count} classes); dataset version {prepared.Version[..16]}")).ConfigureAwait(false);
        foreach (string skipped in prepared.Skipped)
        {
            await output.WriteLineAsync($"  skipped (unreadable): {skipped}").ConfigureAwait(false);
        }

        var store = registry.Store;
        if (settings is not null)
        {
            await store.WriteAsync($"{PipelineWorkspace.UploadsContainer}/{name}/{UploadSettings.FileName}", new MemoryStream(Encoding.UTF8.GetBytes(settings)), null, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"settings: {PipelineWorkspace.UploadsContainer}/{name}/{UploadSettings.FileName}").ConfigureAwait(false);
        }

        string path = $"{PipelineWorkspace.UploadsContainer}/{name}/{fileName}";
        ArtifactInfo uploaded;
        await using (var input = File.OpenRead(file))
        {
            uploaded = await store.WriteAsync(path, input, null, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"uploaded {path} to {store.Location}: the Functions app starts its run within seconds (one run per content and settings)").ConfigureAwait(false);
        if (!args.Wait)
        {
            return 0;
        }

        var timeout = TimeSpan.FromMinutes(args.TimeoutMinutes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var run = await UploadRun.WaitAsync(store, name, fileName, uploaded.ETag, deadline.Token).ConfigureAwait(false);
            if (run.InstanceId is null)
            {
                await output.WriteLineAsync($"the app refused the upload: {run.Error}").ConfigureAwait(false);
                return 1;
            }

            await output.WriteLineAsync($"run {run.InstanceId} ({(run.Started ? "started" : "already started or finished for this content and settings")})").ConfigureAwait(false);
            string api = args.Api;
            string? key = args.Key ?? Environment.GetEnvironmentVariable(FunctionKeyVariable);
            return await FollowAsync(new Uri(api), key, run.InstanceId, output, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync($"gave up waiting after {timeout.TotalMinutes} minutes").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Polls the app's status route, printing each change of stage, epoch or state, until the run ends.</summary>
    private static async Task<int> FollowAsync(Uri api, string? key, string id, TextWriter output, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        string? last = null;
        while (true)
        {
            using var response = await client.GetAsync(new Uri($"api/pipelines/{Uri.EscapeDataString(id)}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
            {
                await output.WriteLineAsync($"the status route of {api} needs the function key: --key K or {FunctionKeyVariable}").ConfigureAwait(false);
                return 1;
            }

            if (!response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync($"{api}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}").ConfigureAwait(false);
                return 1;
            }

            var status = await response.Content.ReadFromJsonAsync<PipelineRunStatus>(PipelineRunStatus.JsonOptions, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{api}: an empty run status");
            string line = status.Status.ToString();
            if (status.Progress is { } progress)
            {
                line += string.Create(CultureInfo.InvariantCulture, $" {progress.Stage.ToString().ToLowerInvariant()} (attempt {progress.Attempt}, epoch {progress.Epoch}/{progress.TotalEpochs}");
                line += progress.ValidationAccuracy is double validation ? string.Create(CultureInfo.InvariantCulture, $", validation accuracy {validation:F4}") : string.Empty;
                line += progress.TestAccuracy is double test ? string.Create(CultureInfo.InvariantCulture, $", test accuracy {test:F4}") : string.Empty;
                line += ")";
            }

            if (line != last)
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
                last = line;
            }

            if (status.Ended)
            {
                if (status.Result is not { } result)
                {
                    await output.WriteLineAsync($"run failed: {status.Failure ?? status.Status.ToString()}").ConfigureAwait(false);
                    return 1;
                }

                if (result.Outcome != PipelineOutcome.Published)
                {
                    await output.WriteLineAsync($"run ended without publishing: {result.Reason}").ConfigureAwait(false);
                    return 1;
                }

                await output.WriteLineAsync($"published {result.ModelName} version {result.Version}, {result.Figure()}; {result.Reason}").ConfigureAwait(false);
                return 0;
            }

            await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<int> ListAsync(ModelRegistry registry, TextWriter output, CancellationToken cancellationToken)
    {
        var store = registry.Store;
        int count = 0;
        await foreach (string path in store.ListAsync(PipelineWorkspace.UploadsContainer + "/", cancellationToken).ConfigureAwait(false))
        {
            string[] parts = path.Split('/');
            if (parts.Length != 3 || !UploadScanner.IsArchive(parts[2]) || await store.GetInfoAsync(path, cancellationToken).ConfigureAwait(false) is not { } info)
            {
                continue;
            }

            count++;
            var run = await UploadRun.ReadAsync(store, parts[1], parts[2], cancellationToken).ConfigureAwait(false);
            string runText = run is null ? "no run yet"
                : run.InstanceId is null ? $"refused: {run.Error}"
                : run.ETag == info.ETag ? $"run {run.InstanceId}" : $"run {run.InstanceId} (of an earlier upload)";
            string published = "not published";
            if (run?.InstanceId is not null && await RunOutcome.ReadAsync(store, run.InstanceId, cancellationToken).ConfigureAwait(false) is { Version: int version } outcome)
            {
                published = outcome.Outcome == PipelineOutcome.AlreadyPublished
                    ? string.Create(CultureInfo.InvariantCulture, $"already published as version {version} (the same data and settings)")
                    : string.Create(CultureInfo.InvariantCulture, $"published as version {version}");
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{path}  {info.Length:N0} bytes  {info.LastModified:yyyy-MM-dd HH:mm:ss}Z  {runText}  {published}")).ConfigureAwait(false);
        }

        if (count == 0)
        {
            await output.WriteLineAsync($"no uploads in {store.Location}").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary><c>datasets upload</c>'s options.</summary>
    private sealed record UploadOptions(string? Settings, bool Wait, string Api, string? Key, int TimeoutMinutes);
}
