using Lepton.Core.Contracts;
using Lepton.Training.Transfer;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Lepton.Training.Models;

/// <summary>
/// The <c>transfer</c> family: ImageNet ResNet18 features (<see cref="TransferBackbone"/>, frozen, computed once per
/// image) and a trained head: batch norm of the 512 features, dropout 0.2, dense classes. The exported model
/// is one graph, backbone and head (<see cref="Export.OnnxExporter.ExportTransfer"/>).
/// </summary>
public static class TransferHead
{
    public const string Name = "transfer";

    public static readonly Architecture Definition = new(
        Name,
        "transfer: frozen ImageNet ResNet18 features (input resized to 224 in the graph), head of batch norm, dropout and dense classes",
        Create,
        Schedule: LearningRateSchedule.Cosine,
        Backbone: TransferBackbone.Name);

    public static Module<Tensor, Tensor> Create(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Sequential(
            ("bn", BatchNorm1d(TransferBackbone.Features)),
            ("drop", Dropout(0.2)),
            ("fc", Linear(TransferBackbone.Features, options.Classes)));
    }

    /// <summary>The model <c>--fine-tune</c> trains: the backbone's last stage and the head (<see cref="FineTunedTransfer"/>).</summary>
    public static Module<Tensor, Tensor> CreateFineTuned(ModelOptions options) => new FineTunedTransfer(options);
}

/// <summary>
/// <c>transfer --fine-tune</c>: the backbone's last residual stage (<see cref="BackboneStage"/>, initialised from
/// the ONNX file's weights) and the head, trained together on the activations entering that stage
/// ([N,256,14,14], computed once per image by the frozen front). Exported as one graph with the trained
/// stage in place of the package's (<see cref="Export.OnnxExporter.ExportTransfer"/>).
/// </summary>
public sealed class FineTunedTransfer : Module<Tensor, Tensor>
{
    private readonly BackboneStage stage;
    private readonly Module<Tensor, Tensor> head;

    public FineTunedTransfer(ModelOptions options) : base(nameof(FineTunedTransfer))
    {
        stage = new BackboneStage(TransferBackbone.LastStage);
        head = TransferHead.Create(options);
        RegisterComponents();
    }

    /// <summary>The trained last stage.</summary>
    public BackboneStage Stage => stage;

    /// <summary>The head on its features.</summary>
    public Module<Tensor, Tensor> Head => head;

    public override Tensor forward(Tensor input)
    {
        using var features = stage.call(input);
        return head.call(features);
    }
}
