namespace Pneumonia.Ml.Images;

/// <summary>An 8-bit grey picture as row-major bytes, and the two operations every decoded X-ray may go through.</summary>
internal readonly record struct GreyPixels(byte[] Pixels, int Width, int Height)
{
    /// <summary>
    /// Shrinks by the largest whole factor k that keeps both sides at least <paramref name="minimumSide"/>, each output
    /// pixel the mean of its k x k block; the fewer than k columns and rows left over at the right and bottom edges
    /// are dropped (a partial block counted as a whole pixel would shift the picture by up to a pixel, and the edge is
    /// film border). Unchanged when no factor of 2 or more fits. The reduction DCT scaling gives a JPEG, for every
    /// format: cheap, and the resize that follows (a triangle filter over less than twice the input size) sees the
    /// same kind of picture whatever the file's size.
    /// </summary>
    public GreyPixels ReduceTo(int minimumSide)
    {
        var factor = minimumSide <= 0 ? 1 : Math.Min(Width, Height) / minimumSide;
        if (factor < 2)
        {
            return this;
        }

        var (width, height) = (Width / factor, Height / factor);
        var reduced = new byte[width * height];
        var sums = new int[width];
        var count = factor * factor;
        for (var y = 0; y < height; y++)
        {
            Array.Clear(sums);
            for (var row = 0; row < factor; row++)
            {
                var line = Pixels.AsSpan(((y * factor) + row) * Width, width * factor);
                for (var x = 0; x < width; x++)
                {
                    var sum = 0;
                    foreach (var value in line.Slice(x * factor, factor))
                    {
                        sum += value;
                    }

                    sums[x] += sum;
                }
            }

            for (var x = 0; x < width; x++)
            {
                reduced[(y * width) + x] = (byte)((sums[x] + (count / 2)) / count);
            }
        }

        return new GreyPixels(reduced, width, height);
    }

    /// <summary>
    /// The displayed picture of pixels stored with EXIF orientation <paramref name="orientation"/> (1-8): where stored
    /// row 0 and column 0 go on screen, as the EXIF definition says; 5 to 8 swap width and height.
    /// </summary>
    public GreyPixels Oriented(int orientation)
    {
        if (orientation is < 2 or > 8)
        {
            return this;
        }

        var (width, height) = orientation >= 5 ? (Height, Width) : (Width, Height);
        var displayed = new byte[Pixels.Length];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var (dx, dy) = orientation switch
                {
                    2 => (width - 1 - x, y),
                    3 => (width - 1 - x, height - 1 - y),
                    4 => (x, height - 1 - y),
                    5 => (y, x),
                    6 => (width - 1 - y, x),
                    7 => (width - 1 - y, height - 1 - x),
                    _ => (y, height - 1 - x),
                };
                displayed[(dy * width) + dx] = Pixels[(y * Width) + x];
            }
        }

        return new GreyPixels(displayed, width, height);
    }
}
