using System.ComponentModel.DataAnnotations;

namespace Pneumonia;

/// <summary>
/// How one training run behaves. Stored verbatim in the model card so that a run can be repeated.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Upper bound on epochs; early stopping may end the run sooner.</summary>
    [Range(1, 500)] public int Epochs { get; init; } = 8;

    [Range(1, 1024)] public int BatchSize { get; init; } = 32;

    /// <summary>
    /// false: only the classification head learns, the whole backbone stays frozen (fast, little risk).
    /// true: the upper backbone stages (from <see cref="FirstFineTunedStage"/> on) learn too, at
    /// <see cref="BackboneLearningRate"/>.
    /// </summary>
    public bool FineTune { get; init; } = true;

    /// <summary>First backbone stage (1..4) that learns when <see cref="FineTune"/> is on; earlier ones stay frozen.</summary>
    [Range(1, 4)] public int FirstFineTunedStage { get; init; } = 3;

    [Range(1e-7, 1.0)] public double HeadLearningRate { get; init; } = 1e-3;

    /// <summary>Lower than the head's so that fine-tuning adapts the ImageNet features instead of erasing them.</summary>
    [Range(1e-8, 1.0)] public double BackboneLearningRate { get; init; } = 2e-4;

    [Range(0.0, 1.0)] public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Epochs without a better validation ROC-AUC before training stops; the best epoch's weights are kept.</summary>
    [Range(1, 100)] public int EarlyStoppingPatience { get; init; } = 3;

    /// <summary>Random changes of each training batch, within <see cref="Augmentation"/>'s ranges.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>How far augmentation may change an image (with <see cref="Augment"/> on).</summary>
    public XrayAugmentation Augmentation { get; init; } = XrayAugmentation.Standard;

    /// <summary>
    /// Targets pulled from 0 and 1 towards 0.5 by this share (0 = hard labels): a network trained on hard labels of a
    /// nearly separable set learns ever larger logits, and its over-confidence survives onto shifted images.
    /// </summary>
    [Range(0.0, 0.4)] public double LabelSmoothing { get; init; }

    /// <summary>
    /// Mixup's alpha (0 = off): each batch is mixed with a shuffled copy of itself, inputs and targets alike, by a
    /// weight drawn from Beta(alpha, alpha) and folded to at least 0.5, so the first image dominates. With cached
    /// frozen stages the mix is of their output, the first fine-tuned stage's input (manifold mixup).
    /// </summary>
    [Range(0.0, 1.0)] public double Mixup { get; init; }

    /// <summary>
    /// Compute the frozen backbone stages once per image and epoch (stored as bfloat16) instead of once per batch, and
    /// train only the stages after them. With <see cref="Augment"/> each epoch caches a freshly augmented view, from a
    /// folded bfloat16 copy of the frozen stages; without it, the plain images once for the whole run.
    /// </summary>
    public bool CacheFrozenFeatures { get; init; }

    /// <summary>
    /// Also judge the run on the validation images under every perturbation of the robustness table
    /// (the ML core's <c>XrayPerturbation.ValidationSuite</c>): the clean and perturbed images pooled choose the best
    /// epoch and fit the calibration and the threshold. Clean validation of a fine-tuned network is nearly separable;
    /// the pooled images are not, and a threshold fitted on them holds when a film is noisier or darker than the
    /// training ones. Retrains inherit it from their parent.
    /// </summary>
    public bool PerturbedValidation { get; init; }

    public long Seed { get; init; } = 42;

    /// <summary>Sensitivity the decision threshold must reach on the validation split (a missed pneumonia is the costly error).</summary>
    [Range(0.5, 1.0)] public double MinimumSensitivity { get; init; } = 0.95;

    /// <summary>Checks the values; throws <see cref="ValidationException"/> naming the first bad one.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        Validator.ValidateObject(Augmentation, new ValidationContext(Augmentation), validateAllProperties: true);
    }
}
