namespace Pneumonia.Notebooks.Views;

/// <summary>
/// What the notebooks read off a <see cref="ModelCard"/> (the contracts' own type: no copy of it here). Read-only views
/// of what training recorded once at evaluation time: ROC points, reliability bins and confusion counts are never
/// recomputed. The card type lives in Pneumonia.Vocabulary, so TorchSharp stays out of the notebook kernel.
/// </summary>
public static class ModelCardView
{
    extension(ModelCard card)
    {
        /// <summary>The test report when there is one (it is the honest one), else validation.</summary>
        public EvaluationReport Headline => card.Test ?? card.Validation;

        /// <summary>"test" or "validation": the split of the headline report.</summary>
        public string HeadlineSplit => card.Test is null ? "validation" : "test";
    }
}
