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
}
