using System.Reflection;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks;

/// <summary>
/// Tells a .NET Interactive kernel to display every <see cref="IHtmlView"/> as its HTML, so that notebooks need no
/// formatter code of their own. Found by reflection in the kernel's process: the library does not reference the
/// kernel (its version is the user's), and outside a kernel (the file-based apps) there is nothing to register.
/// </summary>
public static class KernelFormatters
{
    private const string FormatterType = "Microsoft.DotNet.Interactive.Formatting.Formatter";

    /// <summary>Registers the HTML formatter when a kernel is loaded; returns whether it was.</summary>
    public static bool Register()
    {
        var formatter = AppDomain.CurrentDomain.GetAssemblies()
            .Where(assembly => assembly.GetName().Name == "Microsoft.DotNet.Interactive.Formatting")
            .Select(assembly => assembly.GetType(FormatterType))
            .FirstOrDefault(type => type is not null);
        // Formatter.Register<T>(Action<T, TextWriter> formatter, string mimeType)
        var register = formatter?.GetMethods(BindingFlags.Public | BindingFlags.Static).FirstOrDefault(method =>
            method is { Name: "Register", IsGenericMethodDefinition: true }
            && method.GetParameters() is [{ ParameterType.IsGenericType: true } first, { } second]
            && first.ParameterType.GetGenericTypeDefinition() == typeof(Action<,>)
            && second.ParameterType == typeof(string));
        if (register is null)
        {
            return false;
        }

        Action<IHtmlView, TextWriter> write = (view, writer) => writer.Write(view.ToHtml());
        register.MakeGenericMethod(typeof(IHtmlView)).Invoke(null, [write, "text/html"]);
        return true;
    }
}
