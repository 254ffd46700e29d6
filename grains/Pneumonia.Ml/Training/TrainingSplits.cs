using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;

namespace Pneumonia.Ml.Training;

/// <summary>
/// The labelled catalogue entries turned into decoded train, validation and test sets. Validation is carved from the
/// training images grouped by patient, so no patient is seen in two splits; unlabelled images are left out.
/// </summary>
public sealed class TrainingSplits : IDisposable
{
    private TrainingSplits(
        XrayPixelSet train, XrayPixelSet validation, XrayPixelSet test, DatasetSnapshot snapshot,
        IReadOnlyList<PerturbedPixelSet> validationViews, IReadOnlyList<PerturbedPixelSet> testViews)
    {
        Train = train;
        Validation = validation;
        Test = test;
        Snapshot = snapshot;
        ValidationViews = validationViews;
        TestViews = testViews;
    }

    public XrayPixelSet Train { get; }
    public XrayPixelSet Validation { get; }
    public XrayPixelSet Test { get; }
    public DatasetSnapshot Snapshot { get; }

    /// <summary>
    /// The validation images under each perturbation asked for (empty when none were): all of them, or the sample
    /// <c>maxPerturbedImages</c> allowed, the same images in every view.
    /// </summary>
    public IReadOnlyList<PerturbedPixelSet> ValidationViews { get; }

    /// <summary>The test images under each perturbation asked for (empty when none were).</summary>
    public IReadOnlyList<PerturbedPixelSet> TestViews { get; }

    /// <param name="holdOut">The gate set to leave out (the CLI's whole-catalogue training); null when the caller already did (a retrain).</param>
    /// <param name="perturbations">
    /// Also decode the validation images under each of these (applied to the decoded image before preprocessing, as
    /// served; noise seeded by the image's hash): <see cref="ValidationViews"/>; and the test images too
    /// (<see cref="TestViews"/>) when <paramref name="perturbTest"/>.
    /// </param>
    /// <param name="maxPerturbedImages">
    /// At most this many validation images go into each perturbed view (an evenly spaced sample, so the classes keep
    /// their shares); null for all. Twelve views of a large data set's validation split would be held decoded and
    /// scored, at 26 KB and 12 forward passes an image, to sharpen a pooled ROC-AUC that a few thousand images already fix.
    /// </param>
    /// <param name="decoded">Told (images decoded so far, images to decode) as the splits are decoded.</param>
    public static TrainingSplits Load(
        IReadOnlyList<ImageRecord> catalogue,
        IImageStore store,
        XrayPreprocessor preprocessor,
        double validationFraction,
        int splitSeed,
        GateSetRule? holdOut = null,
        IReadOnlyList<XrayPerturbation>? perturbations = null,
        bool perturbTest = false,
        int? maxPerturbedImages = null,
        Action<int, int>? decoded = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(preprocessor);
        var (train, validation, test, gate, leftOut, outsideLimits) = Partition(catalogue, preprocessor.Decoder.Limits, validationFraction, splitSeed, holdOut);

        perturbations ??= [];
        foreach (var perturbation in perturbations) perturbation.Validate();
        if (maxPerturbedImages is < 1) throw new ArgumentOutOfRangeException(nameof(maxPerturbedImages), maxPerturbedImages, "at least one image per perturbed view");
        List<ImageRecord> perturbedValidation = [.. EvenlySpacedSample.Positions(validation.Count, maxPerturbedImages ?? validation.Count).Select(i => validation[(int)i])];

        // Progress over the three splits (and their perturbed copies) together: images decoded so far of all of them.
        var total = train.Count + test.Count + validation.Count + (perturbedValidation.Count * perturbations.Count) + (perturbTest ? test.Count * perturbations.Count : 0);
        var decodedBefore = 0;
        XrayPixelSet Decode(IReadOnlyList<ImageRecord> entries, XrayPerturbation? perturbation = null)
        {
            var offset = decodedBefore;
            decodedBefore += entries.Count;
            return XrayPixelSet.Load(
                entries.Select(e => new LabelledImage(e.Sha256, e.Label == ImageLabel.Pneumonia)).ToArray(),
                perturbation is null ? hash => preprocessor.LoadModelPixels(store.Read(hash)) : hash => Perturbed(hash, perturbation),
                preprocessor.Parameters.InputSize,
                decoded is null ? null : done => decoded(offset + done, total),
                cancellationToken);
        }

        byte[] Perturbed(string hash, XrayPerturbation perturbation)
        {
            using var image = preprocessor.DecodeReduced(store.Read(hash));
            using var changed = perturbation.Apply(image, seed: int.Parse(hash[..7], System.Globalization.NumberStyles.HexNumber));
            return preprocessor.ToModelPixels(changed);
        }

        int Count(IReadOnlyList<ImageRecord> entries, ImageLabel label) => entries.Count(e => e.Label == label);
        var snapshot = new DatasetSnapshot(
            ImageCatalogue.SnapshotHash(train.Concat(validation)),
            Count(train, ImageLabel.Normal), Count(train, ImageLabel.Pneumonia),
            Count(validation, ImageLabel.Normal), Count(validation, ImageLabel.Pneumonia),
            Count(test, ImageLabel.Normal), Count(test, ImageLabel.Pneumonia),
            $"labelled catalogue images; validation = {validationFraction:P0} of training patients (seed {splitSeed}) plus the official val split; " +
            $"{leftOut} training images of patients who also appear in the test split left out" +
            (holdOut is null ? "" : $"; {gate.Count} gate-set images held out ({holdOut.Description})") +
            (outsideLimits > 0 ? $"; {outsideLimits} labelled images outside the input size limits left out" : ""));
        return new TrainingSplits(
            Decode(train), Decode(validation), Decode(test), snapshot,
            [.. perturbations.Select(p => new PerturbedPixelSet(p, Decode(perturbedValidation, p)))],
            perturbTest ? [.. perturbations.Select(p => new PerturbedPixelSet(p, Decode(test, p)))] : []);
    }

    /// <summary>
    /// Which labelled catalogue entries <see cref="Load"/> puts in each split, without decoding any: for a command
    /// that must name the very images a model trained on (the training images' statistics, say).
    /// </summary>
    public static SplitRecords Partition(
        IReadOnlyList<ImageRecord> catalogue, ImageLimits limits, double validationFraction, int splitSeed, GateSetRule? holdOut = null)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(limits);
        // Images stored before today's input limits (a 1 x 1 upload, a strip) would now be refused by the decoder:
        // they are left out rather than failing the whole run. A size recorded as 0 means unknown: the decoder judges.
        bool Admitted(ImageRecord e) => e.Width <= 0 || e.Height <= 0 || limits.AdmitsSize(e.Width, e.Height);
        var outsideLimits = catalogue.Count(e => e.Label is not null && !Admitted(e));
        var labelled = catalogue.Where(e => e.Label is not null && Admitted(e)).ToList();
        // The official Kermany split shares ~170 patient ids between train and test (by the person-number rule): their
        // training images are left out so that no patient the test reports on was ever learnt from.
        var testPatients = labelled.Where(e => e.Split == ImageSplit.Test).Select(e => e.PatientId).ToHashSet();
        var usable = labelled.Where(e => e.Split == ImageSplit.Test || !testPatients.Contains(e.PatientId)).ToList();
        var leftOut = labelled.Count - usable.Count;
        // Where the catalogue is the server's whole data set (the CLI's), the server's gate set is held out here too, so
        // a model trained offline (the bundled one) never learns from the images the promotion gate judges it on.
        var inGate = usable.ToLookup(e => holdOut?.IsMember(e.Split, GateSetRule.GroupOf(e.OriginalName, e.PatientId, e.Source), patientHasTestImages: false) == true);
        var gate = inGate[true].ToList();
        usable = inGate[false].ToList();

        var split = PatientGroupedSplitter.CarveValidation(usable, validationFraction, splitSeed);
        List<ImageRecord> Of(ImageSplit s) => split.Where(e => e.Split == s).ToList();
        return new SplitRecords(Of(ImageSplit.Train), Of(ImageSplit.Validation), Of(ImageSplit.Test), gate, leftOut, outsideLimits);
    }

    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
        foreach (var view in ValidationViews.Concat(TestViews)) view.Pixels.Dispose();
    }
}
