using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Lepton.Core.Contracts;
using Lepton.Core.Storage;
using Lepton.Pipeline.Compute;

namespace Lepton.Pipeline.Tests;

public sealed class AzureMLComputeTargetTests : IAsyncLifetime
{
    private FakeArm _arm = null!;
    private readonly RecordingCredential _credential = new();
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

    private AzureMLComputeTarget Target()
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == _arm.Certificate.Thumbprint };
        var options = new AzureMLClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(50);
        return new AzureMLComputeTarget(new AzureMLOptions
        {
            SubscriptionId = "sub-1",
            ResourceGroup = "rg-lepton",
            Workspace = "mlw-lepton",
            Cluster = "gpu-cluster",
            TrainerImage = "crlepton.azurecr.io/lepton-trainer:latest",
            StorageBlobEndpoint = new Uri("https://stlepton.blob.core.windows.net/"),
            Endpoint = _arm.Endpoint,
        }, Store, _credential, options);
    }

    private static TrainingJobSubmission Submission(int attempt = 1) =>
        new("fashion-abc", $"fashion-abc-a{attempt}", attempt, "/tmp/prepared/abc123", "prepared/abc123", new TrainingJobSpec { Architecture = "cnn", Epochs = 5, TrainLimit = 1000 });

    [Fact]
    public async Task Submit_PutsACommandJobWithTheRightShapeAndToken()
    {
        var job = await Target().SubmitAsync(Submission());

        Assert.Equal("fashion-abc-a1", job.JobId);
        Assert.Equal("https://stlepton.blob.core.windows.net/runs/fashion-abc/", job.OutputFolder);
        Assert.Equal([AzureMLOptions.Scope], _credential.Scopes.Distinct());
        var put = Assert.Single(_arm.Requests, r => r.Method == "PUT" && r.Path.Contains("/jobs/", StringComparison.Ordinal));
        Assert.Equal("/subscriptions/sub-1/resourceGroups/rg-lepton/providers/Microsoft.MachineLearningServices/workspaces/mlw-lepton/jobs/fashion-abc-a1", put.Path);
        Assert.Equal("2024-10-01", put.ApiVersion);
        Assert.Equal($"Bearer {FakeArm.Token}", put.Authorization);
        var p = put.Body!["properties"]!;
        Assert.Equal("Command", (string?)p["jobType"]);
        Assert.EndsWith("/workspaces/mlw-lepton/computes/gpu-cluster", (string?)p["computeId"], StringComparison.Ordinal);
        Assert.Contains("/environments/lepton-trainer/versions/", (string?)p["environmentId"], StringComparison.Ordinal);
        // The job contract: no flags built here; the spec travels as a file the trainer reads with --spec.
        Assert.Equal("dotnet /app/lepton-trainer.dll train --spec ${{inputs.spec}} --data ${{inputs.data}} --out ${{outputs.out}}", (string?)p["command"]);
        Assert.Equal("uri_file", (string?)p["inputs"]!["spec"]!["jobInputType"]);
        Assert.Equal("https://stlepton.blob.core.windows.net/runs/fashion-abc/jobs/fashion-abc-a1.json", (string?)p["inputs"]!["spec"]!["uri"]);
        var stored = await Store.ReadAsync("runs/fashion-abc/jobs/fashion-abc-a1.json");
        var spec = LeptonJson.Deserialize<TrainingJobSpec>(stored!.Data.ToString(), "job.json");
        Assert.Equal(("cnn", 5, 1000), (spec.Architecture, spec.Epochs, spec.TrainLimit));
        Assert.Equal("https://stlepton.blob.core.windows.net/prepared/abc123/", (string?)p["inputs"]!["data"]!["uri"]);
        Assert.Equal("uri_folder", (string?)p["outputs"]!["out"]!["jobOutputType"]);
        var environment = Assert.Single(_arm.Requests, r => r.Path.Contains("/environments/", StringComparison.Ordinal));
        Assert.Equal("crlepton.azurecr.io/lepton-trainer:latest", (string?)environment.Body!["properties"]!["image"]);
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
    [InlineData("Completed", TrainingJobState.Succeeded)]
    [InlineData("Failed", TrainingJobState.Failed)]
    [InlineData("Canceled", TrainingJobState.Canceled)]
    public void MapState_CoversAzureMLStates(string status, TrainingJobState expected)
    {
        Assert.Equal(expected, AzureMLComputeTarget.MapState(status));
    }

    private sealed class RecordingCredential : TokenCredential
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
    }
}
