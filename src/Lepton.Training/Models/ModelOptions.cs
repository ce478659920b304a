using Lepton.Core.Data;

namespace Lepton.Training.Models;

/// <summary>What an architecture needs to build a model: the input geometry, classes and normalization.</summary>
public sealed record ModelOptions(int Classes, Normalization Normalization, int Channels = 1, int Height = 28, int Width = 28);
