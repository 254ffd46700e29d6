using Pneumonia.Ml.Evaluation;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Training;

/// <summary>What a finished (or early-stopped) run produced; the network holds the best epoch's weights.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochSummary> History, int BestEpoch, double Seconds, bool StoppedEarly);

/// <summary>
/// The training loop: class-balanced loss, AdamW with a lower learning rate for the backbone, cosine schedule,
/// early stopping on validation ROC-AUC. Runs synchronously on the calling thread (TorchSharp's dispose scopes and
/// grad mode are per thread), checks the cancellation token between batches and reports through <see cref="IProgress{T}"/>.
/// </summary>
public sealed class PneumoniaTrainer
{
    /// <summary>
    /// How many training images' frozen-stage features an augmented, cached run holds at once (see
    /// <see cref="Train"/>): 2,048 images of a 160 px network's stage-2 output are about 200 MB of bfloat16, whatever
    /// the size of the data set.
    /// </summary>
    public const int DefaultFeatureChunkImages = 2_048;

    private readonly TimeProvider _time;
    private readonly int _featureChunkImages;

    /// <param name="featureChunkImages">See <see cref="DefaultFeatureChunkImages"/>; rounded up to whole batches.</param>
    public PneumoniaTrainer(TimeProvider? time = null, int featureChunkImages = DefaultFeatureChunkImages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureChunkImages, 1);
        _time = time ?? TimeProvider.System;
        _featureChunkImages = featureChunkImages;
    }

    /// <param name="saveCheckpoint">Called with the epoch number whenever validation improves (write it atomically).</param>
    /// <param name="validationViews">
    /// Perturbed copies of validation images (of all of <paramref name="validation"/> or of a sample of it: each view
    /// holds its own images and labels). When given, the best epoch is the one
    /// with the highest ROC-AUC over the clean and perturbed images pooled: clean validation ROC-AUC of a fine-tuned
    /// network sits near 1 and cannot tell epochs apart, while a perturbed normal film scored above a clean pneumonia
    /// one is the error users meet.
    /// </param>
    /// <param name="architecture">
    /// The network's architecture; with cached frozen features and augmentation it lets each epoch's augmented
    /// features come from a folded bfloat16 copy of the frozen stages (about 3x faster than the float32 training copy).
    /// </param>
    public TrainingResult Train(
        PneumoniaNetwork network,
        XrayPixelSet train,
        XrayPixelSet validation,
        TrainingOptions options,
        IProgress<TrainingProgress>? progress = null,
        Action<int>? saveCheckpoint = null,
        ModelArchitecture? architecture = null,
        IReadOnlyList<XrayPixelSet>? validationViews = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("the training split is empty", nameof(train));
        if (train.Positives == 0 || train.Positives == train.Count)
            throw new ArgumentException("the training split needs both NORMAL and PNEUMONIA images", nameof(train));
        if (validation.Positives == 0 || validation.Positives == validation.Count)
            throw new ArgumentException("the validation split needs both NORMAL and PNEUMONIA images", nameof(validation));

        random.manual_seed(options.Seed);
        using var generator = new Generator((ulong)options.Seed);
        var augmenter = new XrayAugmenter(options.Augmentation);
        validationViews ??= [];
        if (validationViews.Any(v => v.Positives == 0 || v.Positives == v.Count))
            throw new ArgumentException("every validation view needs both NORMAL and PNEUMONIA images", nameof(validationViews));
        ConfigureTrainableParameters(network, options);
        using var optimizer = CreateOptimizer(network, options);
        var baseRates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();

        // Balance the classes in the loss (PNEUMONIA is ~3x NORMAL in the Kermany training set); the calibration
        // fitted on validation afterwards undoes the shift this puts into the raw probabilities.
        using var positiveWeight = tensor((float)(train.Count - train.Positives) / train.Positives);
        using var mixupWeights = options.Mixup > 0 ? distributions.Beta(tensor((float)options.Mixup), tensor((float)options.Mixup), generator) : null;

        // With cached features the frozen stages run once here; training and validation start after them.
        var completedStage = options.CacheFrozenFeatures
            ? Math.Min(options.FineTune ? options.FirstFineTunedStage - 1 : network.Stages, network.Stages)
            : -1;
        // Cached features used to mean no augmentation, and a retrain without it fitted the training images tighter and
        // the shifted test images worse. With augmentation on, each epoch runs the frozen stages once per image on a
        // freshly augmented view instead, from a served-style copy of those frozen stages, a chunk of the epoch's
        // shuffled order at a time: holding a whole epoch's features took about 100 KB per training image (8 GB at
        // 120,000 images); a chunk is bounded whatever the data set's size (issue 16).
        var augmentCached = completedStage >= 0 && options.Augment;
        var chunkImages = (long)Math.Ceiling(_featureChunkImages / (double)options.BatchSize) * options.BatchSize;
        using var frozenStages = augmentCached && architecture is not null
            ? ServingNetwork.CopyOf(network, architecture, new ServingPrecision(InferencePrecision.Bf16, 0), cancellationToken: cancellationToken)
            : null;
        // Caching takes minutes on the full data set: it reports its own progress ("caching", images done of total, ETA).
        // An augmented run's training features are computed chunk by chunk inside the epochs: that is "training".
        var cachingStarted = _time.GetTimestamp();
        var toCache = (augmentCached ? 0 : train.Count) + validation.Count + validationViews.Sum(v => v.Count);
        Action<int>? Caching(int offset) => progress is null
            ? null
            : done => progress.Report(TrainingProgress.ImagePhase("caching", 0, options.Epochs, 0, offset + done, toCache, _time.GetElapsedTime(cachingStarted)));
        using var trainFeatures = completedStage >= 0 && !augmentCached
            ? NetworkScoring.ComputeFeatures(network, train.Pixels, completedStage, computed: Caching(0), cancellationToken: cancellationToken)
            : null;
        using var validationFeatures = completedStage >= 0
            ? NetworkScoring.ComputeFeatures(network, validation.Pixels, completedStage,
                computed: Caching(augmentCached ? 0 : train.Count), cancellationToken: cancellationToken)
            : null;
        var cachedBefore = (augmentCached ? 0 : train.Count) + validation.Count;

        // The perturbed views' frozen-stage features are cached too: they are scored every epoch. Twelve views are three
        // times the training set of a retrain: the folded bfloat16 copy computes them when there is one.
        var viewFeatures = new List<Tensor>();
        if (completedStage >= 0)
        {
            foreach (var view in validationViews)
            {
                var computed = Caching(cachedBefore);
                cachedBefore += view.Count;
                viewFeatures.Add(frozenStages is null
                    ? NetworkScoring.ComputeFeatures(network, view.Pixels, completedStage, computed: computed, cancellationToken: cancellationToken)
                    : NetworkScoring.ComputeAugmentedFeatures(network, frozenStages, view.Pixels, completedStage, batch => batch, computed: computed, cancellationToken: cancellationToken));
            }
        }

        var batchesPerEpoch = (int)Math.Ceiling(train.Count / (double)options.BatchSize);
        var totalBatches = batchesPerEpoch * options.Epochs;
        var warmupBatches = Math.Max(1, batchesPerEpoch / 2);
        var started = _time.GetTimestamp();
        var history = new List<EpochSummary>();
        Dictionary<string, Tensor>? bestWeights = null;
        var bestAuc = double.NegativeInfinity;
        var bestEpoch = 0;
        var stoppedEarly = false;
        var batchesDone = 0;

        try
        {
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var epochStarted = _time.GetTimestamp();
                network.train(); // frozen stages keep their batch-norm statistics (PneumoniaNetwork.SetStageTrainable)
                var running = new MetricsAccumulator();
                using var order = randperm(train.Count, generator: generator);
                using var augmentedFeatures = augmentCached
                    ? new ShuffledFeatureChunks(network, frozenStages, train.Pixels, order, completedStage, pixels => augmenter.Apply(pixels, generator), chunkImages, cancellationToken)
                    : null;
                // With cached features the batch is the frozen stages' output, and the network runs from there.
                var fromCachedStages = augmentedFeatures is not null || trainFeatures is not null;
                for (var batch = 0; batch < batchesPerEpoch; batch++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    SetLearningRates(optimizer, baseRates, batchesDone, warmupBatches, totalBatches);
                    using (var scope = NewDisposeScope())
                    {
                        var start = batch * options.BatchSize;
                        var length = Math.Min(options.BatchSize, train.Count - start);
                        var indices = order.narrow(0, start, length);
                        var targets = train.Targets.index_select(0, indices);
                        optimizer.zero_grad();
                        // The batch as the trained layers see it: cached frozen-stage features, or pixels (augmented).
                        Tensor inputs;
                        if (augmentedFeatures is not null) inputs = augmentedFeatures.Rows(start, length).to_type(ScalarType.Float32);
                        else if (trainFeatures is not null) inputs = trainFeatures.index_select(0, indices).to_type(ScalarType.Float32);
                        else
                        {
                            inputs = train.Pixels.index_select(0, indices).to_type(ScalarType.Float32);
                            if (options.Augment) inputs = augmenter.Apply(inputs, generator);
                        }

                        var smoothed = options.LabelSmoothing > 0 ? (targets * (1 - options.LabelSmoothing)) + (options.LabelSmoothing / 2) : targets;
                        if (mixupWeights is not null) (inputs, smoothed) = Mix(inputs, smoothed, mixupWeights, generator);
                        var logits = fromCachedStages ? network.ForwardFrom(inputs, completedStage) : network.forward(inputs);
                        var loss = nn.functional.binary_cross_entropy_with_logits(logits, smoothed, pos_weights: positiveWeight);
                        loss.backward();
                        optimizer.step();

                        var probabilities = sigmoid(logits.detach()).data<float>().Select(p => (double)p).ToArray();
                        var labels = targets.data<float>().Select(t => t > 0.5f).ToArray();
                        running.Add(probabilities, labels, loss.item<float>());
                    }
                    batchesDone++;
                    var elapsed = _time.GetElapsedTime(started);
                    progress?.Report(new TrainingProgress(
                        "training", epoch, options.Epochs, batch + 1, batchesPerEpoch,
                        batchesDone / (double)totalBatches, running.RunningLoss, running.RunningAccuracy,
                        history.Count > 0 ? history[^1].ValidationAuc : null, elapsed,
                        elapsed * ((totalBatches - batchesDone) / (double)batchesDone)));
                }

                progress?.Report(new TrainingProgress("validating", epoch, options.Epochs, 0, batchesPerEpoch,
                    batchesDone / (double)totalBatches, running.RunningLoss, running.RunningAccuracy,
                    history.Count > 0 ? history[^1].ValidationAuc : null, _time.GetElapsedTime(started), null));
                var validationLogits = validationFeatures is null
                    ? NetworkScoring.PredictLogits(network, validation.Pixels, cancellationToken: cancellationToken)
                    : NetworkScoring.PredictLogitsFromFeatures(network, validationFeatures, completedStage, cancellationToken);
                var (validationLoss, validationAuc) = Score(validationLogits, validation);
                double? pooledAuc = validationViews.Count == 0
                    ? null
                    : Score([.. validationLogits, .. ViewLogits(network, architecture, validationViews, viewFeatures, completedStage, cancellationToken)],
                        [.. validation.Images, .. validationViews.SelectMany(v => v.Images)]).Auc;
                var epochSeconds = _time.GetElapsedTime(epochStarted).TotalSeconds;
                history.Add(new EpochSummary(epoch, running.RunningLoss, running.RunningAccuracy, validationLoss,
                    validationAuc, epochSeconds, train.Count / epochSeconds) { PerturbedValidationAuc = pooledAuc });

                var selectionAuc = pooledAuc ?? validationAuc;
                if (selectionAuc > bestAuc)
                {
                    bestAuc = selectionAuc;
                    bestEpoch = epoch;
                    DisposeAll(bestWeights);
                    bestWeights = CopyWeights(network);
                    saveCheckpoint?.Invoke(epoch);
                }
                else if (epoch - bestEpoch >= options.EarlyStoppingPatience)
                {
                    stoppedEarly = true;
                    break;
                }
            }

            if (bestWeights is not null) RestoreWeights(network, bestWeights);
        }
        finally
        {
            DisposeAll(bestWeights);
            foreach (var features in viewFeatures) features.Dispose();
            network.eval();
        }

        return new TrainingResult(history, bestEpoch, _time.GetElapsedTime(started).TotalSeconds, stoppedEarly);
    }

    /// <summary>
    /// The perturbed views' logits: from their cached features when there are some; otherwise from a folded bfloat16
    /// copy of the network (as served, and about 3x faster than the float32 training copy on twelve views an epoch).
    /// </summary>
    private static List<float> ViewLogits(
        PneumoniaNetwork network, ModelArchitecture? architecture, IReadOnlyList<XrayPixelSet> views, List<Tensor> viewFeatures, int completedStage,
        CancellationToken cancellationToken)
    {
        if (viewFeatures.Count > 0)
            return views.SelectMany((_, i) => NetworkScoring.PredictLogitsFromFeatures(network, viewFeatures[i], completedStage, cancellationToken)).ToList();
        if (architecture is null)
            return views.SelectMany(v => NetworkScoring.PredictLogits(network, v.Pixels, cancellationToken: cancellationToken)).ToList();
        using var served = ServingNetwork.CopyOf(network, architecture, new ServingPrecision(InferencePrecision.Bf16, 0), cancellationToken: cancellationToken);
        return views.SelectMany(v => served.PredictLogits(v.Pixels, cancellationToken: cancellationToken)).ToList();
    }

    /// <summary>
    /// Mixup: the batch mixed with a shuffled copy of itself by one weight from <paramref name="weights"/>, folded to at
    /// least 0.5 so each row keeps its own image (and label, for the running accuracy) as the larger part.
    /// </summary>
    internal static (Tensor Inputs, Tensor Targets) Mix(Tensor inputs, Tensor targets, TorchSharp.Modules.Beta weights, Generator generator)
    {
        var drawn = weights.sample().item<float>();
        var weight = Math.Max(drawn, 1 - drawn);
        using var partner = randperm(inputs.shape[0], generator: generator);
        return ((inputs * weight) + (inputs.index_select(0, partner) * (1 - weight)), (targets * weight) + (targets.index_select(0, partner) * (1 - weight)));
    }

    private static (double Loss, double Auc) Score(float[] logits, XrayPixelSet validation) => Score(logits, validation.Images);

    private static (double Loss, double Auc) Score(float[] logits, IEnumerable<LabelledImage> images)
    {
        var labels = images.Select(i => i.IsPneumonia).ToArray();
        var probabilities = logits.Select(l => 1.0 / (1.0 + Math.Exp(-l))).ToArray();
        var report = BinaryClassificationEvaluator.Evaluate(probabilities, labels, 0.5);
        return (report.LogLoss, report.RocAuc);
    }

    private static void ConfigureTrainableParameters(PneumoniaNetwork network, TrainingOptions options)
    {
        for (var stage = 0; stage <= network.Stages; stage++)
            network.SetStageTrainable(stage, options.FineTune && stage >= options.FirstFineTunedStage);
        foreach (var parameter in network.Head.parameters()) parameter.requires_grad = true;
    }

    private static AdamW CreateOptimizer(PneumoniaNetwork network, TrainingOptions options)
    {
        var groups = new List<AdamW.ParamGroup>
        {
            new(network.Head.parameters(), lr: options.HeadLearningRate, weight_decay: options.WeightDecay),
        };
        var backbone = Enumerable.Range(0, network.Stages + 1).SelectMany(network.StageParameters).Where(p => p.requires_grad).ToList();
        if (backbone.Count > 0)
            groups.Add(new(backbone, lr: options.BackboneLearningRate, weight_decay: options.WeightDecay));
        return optim.AdamW(groups);
    }

    /// <summary>Linear warm-up over half an epoch, then cosine decay to zero: steady for both frozen and fine-tuned runs.</summary>
    private static void SetLearningRates(AdamW optimizer, double[] baseRates, int step, int warmupSteps, int totalSteps)
    {
        var factor = step < warmupSteps
            ? (step + 1) / (double)warmupSteps
            : 0.5 * (1 + Math.Cos(Math.PI * (step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps)));
        var i = 0;
        foreach (var group in optimizer.ParamGroups) group.LearningRate = baseRates[i++] * factor;
    }

    private static Dictionary<string, Tensor> CopyWeights(PneumoniaNetwork network)
    {
        using var noGrad = no_grad();
        return network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void RestoreWeights(PneumoniaNetwork network, Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in network.state_dict()) value.copy_(weights[name]);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? weights)
    {
        if (weights is null) return;
        foreach (var tensor in weights.Values) tensor.Dispose();
        weights.Clear();
    }
}
