using System.Reflection;
using System.Runtime.Loader;

namespace Pneumonia.Notebooks;

/// <summary>
/// Loads every assembly found in one folder (and only the BCL from elsewhere), so that a part of the helper runs
/// with its own FSharp.Core, Orleans and Microsoft.Extensions copies whatever the host process (a notebook kernel)
/// has loaded. Callers talk to it through delegates over BCL types only.
/// </summary>
internal sealed class IsolatedLoadContext : AssemblyLoadContext
{
    private readonly string _folder;

    private IsolatedLoadContext(string folder, string name) : base(name, isCollectible: false) => _folder = folder;

    /// <summary>The folder <paramref name="subfolder"/> beside this assembly (or the app's base directory).</summary>
    public static IsolatedLoadContext Beside(string subfolder)
    {
        var beside = Path.Combine(Path.GetDirectoryName(typeof(IsolatedLoadContext).Assembly.Location)!, subfolder);
        var folder = Directory.Exists(beside) ? beside : Path.Combine(AppContext.BaseDirectory, subfolder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder} is missing: build notebooks/Pneumonia.Notebooks first (see notebooks/README.md).");
        }

        return new IsolatedLoadContext(folder, "Pneumonia.Notebooks." + subfolder);
    }

    /// <summary>A public static method of <paramref name="typeName"/> in <paramref name="assemblyName"/> as a delegate.</summary>
    public T Method<T>(string assemblyName, string typeName, string methodName) where T : Delegate
    {
        var assembly = LoadFromAssemblyName(new AssemblyName(assemblyName));
        var type = assembly.GetType(typeName, throwOnError: true)!;
        return (type.GetMethod(methodName, BindingFlags.Public | BindingFlags.Static)
            ?? throw new MissingMethodException(typeName, methodName)).CreateDelegate<T>();
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Orleans asks for its parts by name without a version: answer with the copy already loaded here.
        var loaded = Assemblies.FirstOrDefault(a => a.GetName().Name == assemblyName.Name);
        if (loaded is not null)
        {
            return loaded;
        }

        var path = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
