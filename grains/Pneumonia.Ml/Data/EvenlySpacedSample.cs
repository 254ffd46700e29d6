namespace Pneumonia.Ml.Data;

/// <summary>
/// The positions of a deterministic sample taken at even steps through a sequence: what large sets are cut down to where
/// a few thousand items already decide (perturbed validation views, the out-of-distribution fit). Even steps keep the
/// shares of an ordered mix (e.g. both classes) and need no seed.
/// </summary>
public static class EvenlySpacedSample
{
    /// <summary><paramref name="count"/> positions of 0..<paramref name="total"/>-1 at even steps; all of them when <paramref name="count"/> >= <paramref name="total"/>.</summary>
    public static long[] Positions(long total, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var taken = Math.Min(total, count);
        var positions = new long[taken];
        for (long i = 0; i < taken; i++) positions[i] = i * total / taken;
        return positions;
    }
}
