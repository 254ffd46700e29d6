namespace Pneumonia.Grains;

/// <summary>The grain storage every Pneumonia grain persists to.</summary>
/// <remarks>
/// Equal to <c>Pneumonia.Silo.StorageNames.Default</c>; repeated here so that the grains do not depend on the host
/// project (which brings the dashboard and ASP.NET Core). A test checks the two agree.
/// </remarks>
public static class GrainStorage
{
    public const string Name = "pneumonia";
}
