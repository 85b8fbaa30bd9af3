using Microsoft.Extensions.Options;

namespace DataForgeGateway.Routing;

/// <summary>Limits on what a caller may send.</summary>
public sealed class RequestOptions
{
    public const string SectionName = "Gateway:Requests";

    /// <summary>Largest request body accepted (inputs-filtered is the only operation with one); larger is 413.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest <c>limit</c> an inputs-filtered request may ask for.</summary>
    public int MaxInputsLimit { get; set; } = 1000;

    internal sealed class Validator : IValidateOptions<RequestOptions>
    {
        public ValidateOptionsResult Validate(string? name, RequestOptions options)
        {
            var failures = new List<string>();
            if (options.MaxBodyBytes is < 256 or > 10 * 1024 * 1024)
            {
                failures.Add($"{SectionName}:MaxBodyBytes must be between 256 and 10485760.");
            }

            if (options.MaxInputsLimit < 1)
            {
                failures.Add($"{SectionName}:MaxInputsLimit must be at least 1.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
