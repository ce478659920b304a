using Lepton.Core.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Models;

/// <summary>A named model family: how to build it and how it likes to be trained.</summary>
/// <param name="Name">The name jobs use (<c>--arch</c>).</param>
/// <param name="Description">One line for listings and model cards.</param>
/// <param name="Create">Builds a fresh model taking [N,C,H,W] pixels in [0,1] and returning logits [N,classes].</param>
/// <param name="UsesAugmentation">Whether training augments images unless the job says otherwise.</param>
/// <param name="Schedule">The learning-rate schedule unless the job says otherwise.</param>
public sealed record Architecture(
    string Name,
    string Description,
    Func<ModelOptions, nn.Module<Tensor, Tensor>> Create,
    bool UsesAugmentation = false,
    LearningRateSchedule Schedule = LearningRateSchedule.Constant);
