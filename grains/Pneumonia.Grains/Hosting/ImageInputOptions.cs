using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pneumonia.Ml.Images;

namespace Pneumonia.Grains.Hosting;

/// <summary>
/// What an image must be to be classified or stored, bound from <see cref="SectionName"/> and validated at start-up:
/// the one place the prediction grains, uploads, imports and the front end's request limits take their
/// <see cref="ImageLimits"/> from, in silos and client-mode front ends alike. Defaults are <see cref="ImageLimits.Default"/>'s.
/// </summary>
public sealed class ImageInputOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Pneumonia:Images";

    /// <summary>The setting this section replaced for the largest file; a server configured with it refuses to start.</summary>
    public const string RetiredMaxImageBytesKey = "Pneumonia:Api:MaxImageBytes";

    /// <summary>
    /// Largest image file accepted, in bytes (a loose file or an archive entry; <c>POST /predict</c>'s body may be this
    /// plus 64 KB). Default 20 MB.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = ImageLimits.Default.MaxFileBytes;

    /// <summary>Smallest width or height accepted, in pixels (see <see cref="ImageLimits.MinSide"/>).</summary>
    [Range(1, 16_384)]
    public int MinSide { get; set; } = ImageLimits.Default.MinSide;

    /// <summary>Largest ratio of the longer side to the shorter (see <see cref="ImageLimits.MaxAspectRatio"/>).</summary>
    [Range(1.0, 100.0)]
    public double MaxAspectRatio { get; set; } = ImageLimits.Default.MaxAspectRatio;

    /// <summary>Largest width or height accepted, in pixels.</summary>
    [Range(1, 65_535)]
    public int MaxSide { get; set; } = ImageLimits.Default.MaxSide;

    /// <summary>Largest width times height accepted (it bounds the decoder's memory).</summary>
    [Range(1, 400_000_000)]
    public long MaxPixels { get; set; } = ImageLimits.Default.MaxPixels;

    /// <summary><see cref="MaxFileBytes"/> as <paramref name="configuration"/> sets it, for code that reads settings before the options exist.</summary>
    public static long MaxFileBytesIn(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetSection(SectionName).GetValue(nameof(MaxFileBytes), ImageLimits.Default.MaxFileBytes);
    }

    /// <summary>The limits these options describe.</summary>
    public ImageLimits ToLimits() => new(MaxFileBytes, MaxPixels, MaxSide, MinSide, MaxAspectRatio);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinSide > MaxSide)
        {
            yield return new ValidationResult(
                $"{SectionName}:MinSide ({MinSide}) is larger than {SectionName}:MaxSide ({MaxSide}).", [nameof(MinSide)]);
        }
    }
}

/// <summary>Registers <see cref="ImageInputOptions"/> and the decoder built from them.</summary>
public static class ImageInputExtensions
{
    /// <summary>
    /// Binds and validates (at start-up) <see cref="ImageInputOptions"/>, and registers the shared
    /// <see cref="XrayImageDecoder"/> with their limits unless one is registered already.
    /// </summary>
    public static IServiceCollection AddPneumoniaImageInput(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ImageInputOptions>()
            .BindConfiguration(ImageInputOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate<IConfiguration>(
                (_, configuration) => configuration[ImageInputOptions.RetiredMaxImageBytesKey] is null,
                $"{ImageInputOptions.RetiredMaxImageBytesKey} is now {ImageInputOptions.SectionName}:MaxFileBytes, one limit for the front end and the silos: rename the setting.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new XrayImageDecoder(sp.GetRequiredService<IOptions<ImageInputOptions>>().Value.ToLimits()));
        return services;
    }
}
