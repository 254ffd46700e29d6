
namespace Pneumonia.Ml.Architectures;

/// <summary>
/// A family of networks a model can be built from: what it is called on the model card, how to describe, build and
/// initialise one. The networks it builds are <see cref="PneumoniaNetwork"/>s, which is where the rest of the contract
/// lives (feature stages, freezing, inference preparation, the class-activation map's feature map and head). Training,
/// saving, loading and serving reach an architecture only through <see cref="NetworkArchitectures"/>, by the name
/// the card records; <see cref="ResNet18Architecture"/> is the one this build ships.
/// </summary>
public interface INetworkArchitecture
{
    /// <summary>
    /// The name cards record (<see cref="ModelArchitecture.Name"/>) and <see cref="NetworkArchitectures"/> looks up.
    /// Never change it once models are saved under it: they would no longer load.
    /// </summary>
    string Name { get; }

    /// <summary>The most feature stages after the stem a network of this family can keep.</summary>
    int MaxStages { get; }

    /// <summary>
    /// The card's description of a new network: this <see cref="Name"/>, the stages and dropout, its parameter count,
    /// and in <see cref="ModelArchitecture.Pretrained"/> where its initial weights come from (a package and file hash,
    /// for instance) or <see cref="NetworkArchitectures.RandomInitialisation"/>.
    /// </summary>
    /// <param name="stages">Feature stages after the stem to keep (1..<see cref="MaxStages"/>).</param>
    /// <param name="dropout">Dropout probability before the head, in [0, 1).</param>
    /// <param name="pretrained">Start from this family's pretrained weights rather than random ones.</param>
    /// <exception cref="NotSupportedException"><paramref name="pretrained"/> for a family without pretrained weights.</exception>
    ModelArchitecture Describe(int stages, double dropout, bool pretrained);

    /// <summary>
    /// A new network shaped as <paramref name="architecture"/> describes, with random weights: to be trained, to
    /// receive pretrained weights (<see cref="LoadPretrainedWeights"/>) or a saved model's. Every call with the same
    /// description registers the same tensors under the same names, so saved weights load into it.
    /// </summary>
    PneumoniaNetwork Build(ModelArchitecture architecture);

    /// <summary>Loads the weights <see cref="ModelArchitecture.Pretrained"/> names into <paramref name="network"/>, built by <see cref="Build"/> from <paramref name="architecture"/>.</summary>
    void LoadPretrainedWeights(PneumoniaNetwork network, ModelArchitecture architecture);
}
