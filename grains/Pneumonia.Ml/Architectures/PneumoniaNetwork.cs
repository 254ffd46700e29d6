using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// What every architecture's network is to training and serving: grey chest X-rays [N,1,S,S] (pixel values 0..255)
/// in, one pneumonia logit per image out, computed in feature stages 0..<see cref="Stages"/> (stage 0 takes the
/// pixels: input convention and stem). The last stage's feature map is averaged over its positions, dropped out while
/// training, and mapped to the logit by the linear <see cref="Head"/>.
/// </summary>
/// <remarks>
/// This class computes the pooling and the head itself, so no architecture can break what rests on them: because the
/// head is linear after an average pool, <c>Head.weight · FeatureMap(x)</c> is the class-activation map, and the
/// pooled features are what the out-of-distribution detector reads. Training freezes, caches and resumes at stage
/// boundaries (<see cref="FeaturesThrough"/>, <see cref="ForwardFrom"/>, <see cref="SetStageTrainable"/>); serving
/// prepares the network once (<see cref="PrepareForInference"/>). The architecture that builds it is an
/// <see cref="INetworkArchitecture"/>, found by name in <see cref="NetworkArchitectures"/>.
/// </remarks>
public abstract class PneumoniaNetwork : nn.Module<Tensor, Tensor>
{
    /// <param name="name">The module's name (not saved with the weights: those are saved by their registered names).</param>
    protected PneumoniaNetwork(string name) : base(name)
    {
    }

    /// <summary>The last feature stage; stages are numbered 0 (the stem) to this.</summary>
    public abstract int Stages { get; }

    /// <summary>
    /// The linear head: weight [1, C] and bias [1], C the channels of <see cref="FeatureMap"/>. It stays float32 when
    /// the network is prepared for inference in bfloat16 (the class-activation map's weights).
    /// </summary>
    public abstract Linear Head { get; }

    /// <summary>Logits [N] for grey images [N,1,S,S] with pixel values 0..255.</summary>
    public sealed override Tensor forward(Tensor input)
    {
        using var stem = FeaturesThrough(input, 0);
        return ForwardFrom(stem, 0);
    }

    /// <summary>The last stage's feature map [N, C, h, w] for grey images [N,1,S,S]: what the head and the class-activation map read.</summary>
    public Tensor FeatureMap(Tensor input) => FeaturesThrough(input, Stages);

    /// <summary>
    /// The feature map after stage <paramref name="lastStage"/> (0 = the stem) for grey images [N,1,S,S] with pixel
    /// values 0..255: the part of the network a training run may compute once and cache when those stages are frozen.
    /// </summary>
    public Tensor FeaturesThrough(Tensor input, int lastStage)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.shape[1] != 1)
            throw new ArgumentException($"Expected grey images [N,1,S,S], got [{string.Join(",", input.shape)}].", nameof(input));
        CheckStage(lastStage);
        return RunThrough(input, lastStage);
    }

    /// <summary>The last stage's feature map from the output of stage <paramref name="completedStage"/> (see <see cref="FeaturesThrough"/>).</summary>
    public Tensor FeaturesFrom(Tensor features, int completedStage)
    {
        ArgumentNullException.ThrowIfNull(features);
        CheckStage(completedStage);
        return RunFrom(features, completedStage);
    }

    /// <summary>Logits [N] from the output of stage <paramref name="completedStage"/> (see <see cref="FeaturesThrough"/>).</summary>
    public Tensor ForwardFrom(Tensor features, int completedStage)
    {
        using var last = FeaturesFrom(features, completedStage);
        using var pooled = last.mean([2, 3]);
        using var dropped = DropBeforeHead(pooled);
        using var logits = Head.forward(dropped);
        return logits.squeeze(1);
    }

    /// <summary>The parameters of one stage (0..<see cref="Stages"/>); with the head's, every parameter of the network exactly once.</summary>
    public abstract IEnumerable<Parameter> StageParameters(int stage);

    /// <summary>
    /// Freezes or unfreezes a stage: its parameters stop (or start) taking gradients, and anything else it learns
    /// while training (batch-norm statistics) must stay put too, also after a later <c>train()</c>: a frozen stage
    /// whose statistics drift changes the features the head was trained on.
    /// </summary>
    public abstract void SetStageTrainable(int stage, bool trainable);

    /// <summary>
    /// Prepares the network in place for serving: eval mode, then whatever makes inference faster without changing its
    /// answers beyond the chosen precision (folding batch norms, memory layout). With <paramref name="bfloat16FromStage"/>
    /// the stages from that one on compute in bfloat16 (0: all of them, input convention included, so the input is
    /// given in bfloat16); the head stays float32. The network can no longer be trained or saved afterwards.
    /// </summary>
    /// <param name="bfloat16FromStage">null for float32 throughout; else 0..<see cref="Stages"/> + 1.</param>
    public void PrepareForInference(int? bfloat16FromStage)
    {
        // Checked before anything is changed: a refused precision leaves the network as it was.
        if (bfloat16FromStage is { } first)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(first, nameof(bfloat16FromStage));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(first, Stages + 1, nameof(bfloat16FromStage));
        }

        eval();
        PrepareForInferenceCore(bfloat16FromStage);
    }

    /// <summary>
    /// Describes the feature stages (pixels in, <see cref="FeatureMap"/> out) to <paramref name="builder"/>, for ONNX
    /// Runtime and int8 serving; false for an architecture that cannot (it is then served by TorchSharp). Call on a
    /// network prepared for inference in float32 (<see cref="PrepareForInference"/> with null): the graph takes the
    /// prepared weights, batch norms folded.
    /// </summary>
    /// <param name="featureMap">The name of the feature map's tensor in the graph.</param>
    public virtual bool TryDescribeFeatureGraph(FeatureGraphBuilder builder, out string featureMap)
    {
        featureMap = "";
        return false;
    }

    /// <summary>Whether <see cref="TryDescribeFeatureGraph"/> describes this architecture, so that it can be served in int8.</summary>
    public virtual bool HasFeatureGraph => false;

    /// <summary>Stages 0..<paramref name="lastStage"/> on grey images [N,1,S,S] (0..255; float32, or bfloat16 when prepared so from stage 0).</summary>
    protected abstract Tensor RunThrough(Tensor input, int lastStage);

    /// <summary>Stages after <paramref name="completedStage"/> up to the last; returns a new tensor and leaves <paramref name="features"/> to its owner.</summary>
    protected abstract Tensor RunFrom(Tensor features, int completedStage);

    /// <summary>Dropout before the head (only while training); a new tensor, the input left to its owner. None by default.</summary>
    protected virtual Tensor DropBeforeHead(Tensor pooled) => pooled.alias();

    /// <summary>Called by <see cref="PrepareForInference"/> in eval mode, with the stage checked.</summary>
    protected abstract void PrepareForInferenceCore(int? bfloat16FromStage);

    private void CheckStage(int stage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stage, Stages);
    }
}
