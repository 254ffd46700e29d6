using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Pneumonia.Ml.Tests")]
