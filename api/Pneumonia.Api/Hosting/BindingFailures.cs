using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Pneumonia.Api.Endpoints;
using Pneumonia.Grains.Hosting;

namespace Pneumonia.Api.Hosting;

/// <summary>
/// Rewrites ASP.NET Core's parameter-binding failures ("Failed to bind parameter \"int epochs\" from \"abc\"") as
/// refusals that name the field, what it takes (its range, where the API has one) and what was sent.
/// </summary>
internal static partial class BindingFailures
{
    public static (int Status, string Title, string Detail) Describe(HttpContext context, BadHttpRequestException exception)
    {
        var message = exception.Message;
        if (FailedToBind().Match(message) is { Success: true } failed)
        {
            var (type, name, value) = (failed.Groups["type"].Value, ClientName(failed.Groups["name"].Value), failed.Groups["value"].Value);
            return (StatusCodes.Status400BadRequest, "Bad request",
                $"The parameter '{name}' must be {Expected(context, type, name)}; got '{Uploads.DisplayName.Of(value)}'.");
        }

        if (NotProvided().Match(message) is { Success: true } missing)
        {
            var (type, name, source) = (missing.Groups["type"].Value, ClientName(missing.Groups["name"].Value), missing.Groups["source"].Value);
            return (StatusCodes.Status400BadRequest, "Bad request",
                source.Contains("form file", StringComparison.Ordinal)
                    ? $"The multipart file field '{name}' is missing; send the image in it (curl -F '{name}=@x.jpeg')."
                    : $"The parameter '{name}' is required ({source}); it must be {Expected(context, type, name)}.");
        }

        var title = exception.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => "Request too large",
            StatusCodes.Status408RequestTimeout => "Request timeout",
            StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
            _ => "Bad request",
        };
        return (exception.StatusCode, title, message);
    }

    // The API's query parameters are snake_case; a C# parameter named perLabel binds per_label.
    private static string ClientName(string parameter) => JsonNamingPolicy.SnakeCaseLower.ConvertName(parameter);

    private static string Expected(HttpContext context, string type, string name)
    {
        var kind = type.TrimEnd('?') switch
        {
            "int" or "long" or "Int32" or "Int64" => "a whole number",
            "bool" or "Boolean" => "true or false",
            "double" or "float" or "Double" or "Single" => "a number",
            _ => $"a {type.TrimEnd('?')}",
        };
        var retrain = context.RequestServices.GetService<IOptions<RetrainOptions>>()?.Value;
        var range = name switch
        {
            "epochs" when retrain is not null => $" from 1 to {retrain.MaxEpochs}",
            "batch_size" when retrain is not null => $" from 1 to {retrain.MaxBatchSize}",
            "per_label" => $" from 1 to {DatasetApi.MaxSamplesPerLabel}",
            _ => string.Empty,
        };
        return kind + range;
    }

    [GeneratedRegex("^Failed to bind parameter \"(?<type>\\S+) (?<name>[^\"]+)\" from \"(?<value>.*)\"\\.?$", RegexOptions.Singleline)]
    private static partial Regex FailedToBind();

    [GeneratedRegex("^Required parameter \"(?<type>\\S+) (?<name>[^\"]+)\" was not provided from (?<source>[^.]+)\\.?$", RegexOptions.Singleline)]
    private static partial Regex NotProvided();
}
