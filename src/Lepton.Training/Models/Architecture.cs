using Lepton.Core.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Models;

/// <summary>A named model family: how to build it and how it likes to be trained.</summary>
/// <param name="Name">The name jobs use (<c>--arch</c>).</param>
/// <param name="Description">One line for listings and model cards.</param>
/// <param name="Create">Builds a fresh model taking [N,C,H,W] pixels in [0,1] and returning logits [N,classes];
/// for a generative family, the generator: latent vectors [N,z] to images [N,C,H,W] in [0,1].</param>
/// <param name="UsesAugmentation">Whether training augments images unless the job says otherwise.</param>
/// <param name="Schedule">The learning-rate schedule unless the job says otherwise.</param>
/// <param name="CreateDiscriminator">For a generative (adversarial) family: builds the discriminator, images
/// [N,C,H,W] in [0,1] to one real/fake logit [N,1]; null for classifiers.</param>
/// <param name="Backbone">For a transfer family: the frozen pretrained feature extractor (<see cref="Transfer.TransferBackbone"/>);
/// <see cref="Create"/> then builds the head, features [N,512] to logits, trained on features computed once.</param>
/// <param name="WeightDecay">Decoupled weight decay (AdamW) of the family's optimizer; 0: plain Adam.</param>
/// <param name="Variant">What a job changed in the family's model (<c>transfer --fine-tune</c>: the backbone's last stage
/// trained too), so that its checkpoints are told apart from the family's own; null: the family as it is.</param>
public sealed record Architecture(
    string Name,
    string Description,
    Func<ModelOptions, nn.Module<Tensor, Tensor>> Create,
    bool UsesAugmentation = false,
    LearningRateSchedule Schedule = LearningRateSchedule.Constant,
    Func<ModelOptions, nn.Module<Tensor, Tensor>>? CreateDiscriminator = null,
    string? Backbone = null,
    double WeightDecay = 0,
    string? Variant = null)
{
    /// <summary>What checkpoints record and check on resume: the name, and the variant when there is one
    /// (a fine-tuned model's weights do not load into a frozen head's, nor the other way).</summary>
    public string CheckpointName => Variant is null ? Name : $"{Name} ({Variant})";

    /// <summary>Whether the family trains a head on a frozen pretrained backbone's features.</summary>
    public bool IsTransfer => Backbone is not null;

    /// <summary>Whether the family generates images (trained adversarially) rather than classifies them.</summary>
    public bool IsGenerator => CreateDiscriminator is not null;
}
