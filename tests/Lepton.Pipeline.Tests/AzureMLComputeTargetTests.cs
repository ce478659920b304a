using Azure;
using Azure.Core;
using Lepton.Core.Contracts;
using Lepton.Core.Storage;
using Lepton.Pipeline.Compute;

namespace Lepton.Pipeline.Tests;

public sealed class AzureMLComputeTargetTests : IAsyncLifetime
{
    private FakeArm _arm = null!;
    private readonly RecordingCredential _credential = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
    private readonly string _storeFolder = Path.Combine(Path.GetTempPath(), "lepton-aml-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync() => _arm = await FakeArm.StartAsync();

    public async Task DisposeAsync()
    {
        await _arm.DisposeAsync();
        if (Directory.Exists(_storeFolder))
        {
            Directory.Delete(_storeFolder, recursive: true);
        }
    }

    private IArtifactStore Store => ArtifactStores.Open(_storeFolder);

    private AzureMLComputeTarget Target() => FakeArmTarget.Create(_arm, Store, _credential, _clock);

    private static TrainingJobSubmission Submission(int attempt = 1) =>
        new("fashion-abc", $"fashion-abc-a{attempt}", attempt, "/tmp/prepared/abc123", "prepared/abc123", new TrainingJobSpec { Architecture = "cnn", Epochs = 5, TrainLimit = 1000 });

    private static AzureMLOptions Options(string image) => new()
    {
        SubscriptionId = "s", ResourceGroup = "g", Workspace = "w", Cluster = "c", PreparedDatastore = "p", RunsDatastore = "r", TrainerImage = image,
    };

    [Fact]
    public async Task Submit_PutsACommandJobWithTheRightShapeAndToken()
    {
        var job = await Target().SubmitAsync(Submission());

        Assert.Empty(_arm.Refusals);
        Assert.Equal("fashion-abc-a1", job.JobId);
        Assert.Equal("azureml://datastores/lepton_runs/paths/fashion-abc/", job.OutputFolder);
        Assert.Equal("runs/fashion-abc", job.OutputStorePath);
        Assert.Equal([AzureMLOptions.Scope], _credential.Scopes.Distinct());
        var put = Assert.Single(_arm.Requests, r => r.Method == "PUT" && r.Path.Contains("/jobs/", StringComparison.Ordinal));
        Assert.Equal($"{FakeArm.WorkspacePath}/jobs/fashion-abc-a1", put.Path);
        Assert.Equal("2024-10-01", put.ApiVersion);
        Assert.Equal($"Bearer {FakeArm.Token}", put.Authorization);
        Assert.Equal(201, put.Status);
        var p = put.Body!["properties"]!;
        Assert.Equal("Command", (string?)p["jobType"]);
        Assert.Equal($"{FakeArm.WorkspacePath}/computes/gpu-cluster", (string?)p["computeId"]);
        Assert.Equal($"{FakeArm.WorkspacePath}/environments/lepton-trainer/versions/{FakeArmTarget.Digest}", (string?)p["environmentId"]);
        // The job contract: no flags built here; the spec travels as a file the trainer reads with --spec.
        Assert.Equal("dotnet /app/lepton-trainer.dll train --spec ${{inputs.spec}} --data ${{inputs.data}} --out ${{outputs.out}}", (string?)p["command"]);
        var stored = await Store.ReadAsync("runs/fashion-abc/jobs/fashion-abc-a1.json");
        var spec = LeptonJson.Deserialize<TrainingJobSpec>(stored!.Data.ToString(), "job.json");
        Assert.Equal(("cnn", 5, 1000), (spec.Architecture, spec.Epochs, spec.TrainLimit));
    }

    [Fact]
    public async Task Submit_RunsAsTheComputesManagedIdentity()
    {
        await Target().SubmitAsync(Submission());

        var identity = _arm.Jobs["fashion-abc-a1"]["properties"]!["identity"]!.AsObject();
        Assert.Equal("Managed", (string?)identity["identityType"]);
        Assert.Single(identity); // no client or resource id: the cluster's (only, user-assigned) identity
    }

    [Fact]
    public async Task Submit_EveryInputAndOutput_IsAPathInAWorkspaceDatastore()
    {
        await Target().SubmitAsync(Submission());

        var p = _arm.Jobs["fashion-abc-a1"]["properties"]!;
        static (string?, string?, string?) Binding(System.Text.Json.Nodes.JsonNode node, string type) =>
            ((string?)node[type], (string?)node["uri"], (string?)node["mode"]);
        // The spec file is in the store's runs container (where the target wrote it), the data in prepared.
        Assert.Equal(("uri_file", "azureml://datastores/lepton_runs/paths/fashion-abc/jobs/fashion-abc-a1.json", "Download"), Binding(p["inputs"]!["spec"]!, "jobInputType"));
        Assert.Equal(("uri_folder", "azureml://datastores/lepton_prepared/paths/abc123/", "ReadOnlyMount"), Binding(p["inputs"]!["data"]!, "jobInputType"));
        Assert.Equal(("uri_folder", "azureml://datastores/lepton_runs/paths/fashion-abc/", "ReadWriteMount"), Binding(p["outputs"]!["out"]!, "jobOutputType"));
        Assert.Equal(["data", "spec"], p["inputs"]!.AsObject().Select(i => i.Key).Order());
        Assert.Equal(["out"], p["outputs"]!.AsObject().Select(o => o.Key));
    }

    [Fact]
    public async Task Submit_OfADatasetOutsideThePreparedContainer_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Target().SubmitAsync(Submission() with { DatasetStorePath = "datasets/abc123" }));

        Assert.Contains("prepared", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_arm.Requests, r => r.Path.Contains("/jobs/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Environment_IsVersionedByTheImagesDigest()
    {
        await Target().SubmitAsync(Submission());

        var environment = Assert.Single(_arm.Requests, r => r.Path.Contains("/environments/", StringComparison.Ordinal));
        Assert.Equal($"{FakeArm.WorkspacePath}/environments/lepton-trainer/versions/{FakeArmTarget.Digest}", environment.Path);
        Assert.Equal(FakeArmTarget.Image, (string?)environment.Body!["properties"]!["image"]);
        string rebuilt = "crlepton.azurecr.io/lepton-trainer@sha256:" + new string('0', 63) + "1";
        Assert.Equal(new string('0', 63) + "1", Options(rebuilt).EnvironmentVersion);
    }

    [Theory]
    [InlineData("crlepton.azurecr.io/lepton-trainer:latest")]
    [InlineData("crlepton.azurecr.io/lepton-trainer:gpu")]
    [InlineData("crlepton.azurecr.io/lepton-trainer@sha256:abc")]
    public void ImageByTag_IsRefused(string image)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new AzureMLComputeTarget(Options(image), Store, _credential));

        Assert.Contains("pinned by digest", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobNames_AreTheSubmissionsOwn_AndNeverReused()
    {
        var target = Target();
        var names = new[] { "run-a1-0a1b2c3d", "run-a2-4e5f6a7b", "run-a1-8c9d0e1f" };
        foreach (string name in names)
        {
            await target.SubmitAsync(Submission() with { RunId = "run", JobName = name });
        }

        var puts = _arm.Requests.Where(r => r.Method == "PUT" && r.Path.Contains("/jobs/", StringComparison.Ordinal)).Select(r => r.Path.Split('/')[^1]).ToArray();
        Assert.Equal(names, puts);
        Assert.Empty(_arm.RePuts);
    }

    [Theory]
    [InlineData("NotResponding")]
    [InlineData("Paused")]
    public async Task Unresponsive_WithinItsTimeout_IsStillRunning_ThenFailsAndIsCanceled(string state)
    {
        var target = Target();
        var job = await target.SubmitAsync(Submission());
        _arm.States[job.JobId] = new Queue<string>([state]);

        var first = await target.GetStatusAsync(job);
        _clock.Advance(TimeSpan.FromMinutes(29));
        var later = await target.GetStatusAsync(job);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var over = await target.GetStatusAsync(job);

        Assert.Equal((TrainingJobState.Running, TrainingJobState.Running), (first.State, later.State));
        Assert.Equal(TrainingJobState.Failed, over.State);
        Assert.Contains($"was {state} for 31 minutes (limit 30)", over.Message, StringComparison.Ordinal);
        Assert.Contains(_arm.Requests, r => r.Method == "POST" && r.Path.EndsWith($"/jobs/{job.JobId}/cancel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unresponsive_FirstSeenTime_SurvivesANewTargetInstance_AndIsForgottenOnRecovery()
    {
        var job = await Target().SubmitAsync(Submission());
        _arm.States[job.JobId] = new Queue<string>(["NotResponding"]);

        await Target().GetStatusAsync(job);            // first seen by one host...
        _clock.Advance(TimeSpan.FromMinutes(31));
        var over = await Target().GetStatusAsync(job); // ...timed out by another (a restarted host)

        Assert.Equal(TrainingJobState.Failed, over.State);

        var recovering = await Target().SubmitAsync(Submission(attempt: 2));
        _arm.States[recovering.JobId] = new Queue<string>(["NotResponding", "Running", "NotResponding"]);
        await Target().GetStatusAsync(recovering);
        Assert.NotNull(await Store.GetInfoAsync(AzureMLComputeTarget.UnresponsiveMarkerPath(recovering)));
        _clock.Advance(TimeSpan.FromMinutes(20));
        await Target().GetStatusAsync(recovering);     // Running: the note is dropped
        Assert.Null(await Store.GetInfoAsync(AzureMLComputeTarget.UnresponsiveMarkerPath(recovering)));
        _clock.Advance(TimeSpan.FromMinutes(20));
        var again = await Target().GetStatusAsync(recovering);

        Assert.Equal(TrainingJobState.Running, again.State); // a new spell: 0 minutes, not 40
    }

    [Fact]
    public async Task Status_ReplaysTheJobsStatesMapped()
    {
        var target = Target();
        var job = await target.SubmitAsync(Submission());
        _arm.States[job.JobId] = new Queue<string>(["Queued", "Running", "Finalizing", "Completed"]);

        var states = new List<TrainingJobState>();
        for (int i = 0; i < 5; i++)
        {
            states.Add((await target.GetStatusAsync(job)).State);
        }

        Assert.Equal([TrainingJobState.Queued, TrainingJobState.Running, TrainingJobState.Running, TrainingJobState.Succeeded, TrainingJobState.Succeeded], states);
    }

    [Fact]
    public async Task FailedJob_CarriesTheReason()
    {
        var target = Target();
        var job = await target.SubmitAsync(Submission());
        _arm.States[job.JobId] = new Queue<string>(["Failed"]);

        var status = await target.GetStatusAsync(job);

        Assert.Equal(TrainingJobState.Failed, status.State);
        Assert.Equal("the node ran out of memory", status.Message);
    }

    [Fact]
    public async Task Throttling_IsRetriedAfterRetryAfter()
    {
        var target = Target();
        var job = await target.SubmitAsync(Submission());
        _arm.Faults[$"GET {job.JobId}"] = new Queue<int>([429]);

        var status = await target.GetStatusAsync(job);

        Assert.Equal(TrainingJobState.Queued, status.State);
        var gets = _arm.Requests.Where(r => r.Method == "GET").ToArray();
        Assert.Equal([429, 200], gets.Select(r => r.Status));
        Assert.True(gets[1].At - gets[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(gets[1].At - gets[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task ServerErrors_AreRetried_ThenSurfaced()
    {
        var target = Target();
        var job = await target.SubmitAsync(Submission());
        _arm.Faults[$"GET {job.JobId}"] = new Queue<int>([503, 500]);

        Assert.Equal(TrainingJobState.Queued, (await target.GetStatusAsync(job)).State);

        _arm.Faults[$"GET {job.JobId}"] = new Queue<int>(Enumerable.Repeat(503, 10));
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => target.GetStatusAsync(job));
        Assert.Equal(503, ex.Status);
    }

    [Fact]
    public async Task Cancel_PostsCancel_AndTheJobEndsCanceled()
    {
        var target = Target();
        var job = await target.SubmitAsync(Submission(attempt: 2));

        await target.CancelAsync(job);
        var first = await target.GetStatusAsync(job);
        var second = await target.GetStatusAsync(job);

        Assert.Equal("fashion-abc-a2", job.JobId);
        Assert.Contains(_arm.Requests, r => r.Method == "POST" && r.Path.EndsWith("/jobs/fashion-abc-a2/cancel", StringComparison.Ordinal));
        Assert.Equal(TrainingJobState.Running, first.State); // CancelRequested
        Assert.Equal(TrainingJobState.Canceled, second.State);
    }

    [Fact]
    public async Task BadToken_IsAnAuthenticationError()
    {
        _credential.Token = "wrong";

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => Target().SubmitAsync(Submission()));

        Assert.Equal(401, ex.Status);
    }

    [Theory]
    [InlineData("NotStarted", TrainingJobState.Queued)]
    [InlineData("Provisioning", TrainingJobState.Queued)]
    [InlineData("Running", TrainingJobState.Running)]
    [InlineData("CancelRequested", TrainingJobState.Running)]
    [InlineData("NotResponding", TrainingJobState.Running)]
    [InlineData("Paused", TrainingJobState.Running)]
    [InlineData("Completed", TrainingJobState.Succeeded)]
    [InlineData("Failed", TrainingJobState.Failed)]
    [InlineData("Canceled", TrainingJobState.Canceled)]
    public void MapState_CoversAzureMLStates(string status, TrainingJobState expected)
    {
        Assert.Equal(expected, AzureMLComputeTarget.MapState(status));
    }

    internal sealed class RecordingCredential : TokenCredential
    {
        public string Token { get; set; } = FakeArm.Token;

        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Scopes)
            {
                Scopes.AddRange(requestContext.Scopes);
            }

            return new AccessToken(Token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}

public sealed class CloudProgressTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-progress-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task StatusActivity_ReadsTheTrainersProgressFromTheStore()
    {
        var store = new Core.Storage.FolderArtifactStore(Path.Combine(_root, "store"));
        var workspace = new PipelineWorkspace(store, Path.Combine(_root, "work"));
        var epoch = new Core.Contracts.EpochRecord(3, 0.3, 0.9, 0.31, 0.88, 10, 5000, 0.001);
        string json = Core.Contracts.LeptonJson.Serialize(new Core.Contracts.TrainingStatus(Core.Contracts.JobState.Running, "training", 3, 5, epoch, null, DateTimeOffset.UtcNow));
        await store.WriteAsync("runs/cloud-run/status.json", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        var activity = new Activities.GetTrainingStatusActivity(new RunningTarget(), workspace);

        var status = await activity.ExecuteAsync(new TrainingJobHandle("azureml", "cloud-run-a1", "https://example.invalid/runs/cloud-run/", 1, "runs/cloud-run"));

        Assert.Equal((TrainingJobState.Running, 3, 5, 0.88), (status.State, status.Epoch, status.TotalEpochs, status.ValidationAccuracy));
    }

    private sealed class RunningTarget : IComputeTarget
    {
        public string Name => "azureml";

        public Task<TrainingJobHandle> SubmitAsync(TrainingJobSubmission submission, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<TrainingJobStatus> GetStatusAsync(TrainingJobHandle job, CancellationToken cancellationToken = default) =>
            Task.FromResult(new TrainingJobStatus(TrainingJobState.Running, 0, 0, null, "Running"));

        public Task CancelAsync(TrainingJobHandle job, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<int> CapacityAsync(CancellationToken cancellationToken = default) => Task.FromResult(1);
    }
}
