using DataForgeGateway.Api;
using DataForgeGateway.Routing;
using Microsoft.AspNetCore.Http;

namespace DataForgeGateway.UnitTests.Routing;

/// <summary>
/// The query's check reads the usual query as it goes and leaves every other one to ASP.NET Core's query
/// collection: whichever way a query is read, the checked values and the errors are the same.
/// </summary>
public sealed class QueryCheckTests
{
    private static readonly RequestOptions Settings = new();

    public static TheoryData<string> Queries => new()
    {
        "", "?", "?projectId=7", "?projectId=007", "?projectId=%37", "?project%49d=7", "?%70rojectId=7",
        "?projectId=7&projectId=7", "?projectId=7&projectid=8", "?projectid=8&projectId=7", "?ProjectId=7", "?PROJECTID=7",
        "?projectId=", "?projectId", "?=7", "?&&projectId=7&&", "?projectId=7&x=1", "?x=1&projectId=7", "?x",
        "?projectId=abc", "?projectId=7&projectId=abc", "?projectId=abc&projectId=7", "?projectId=7+8", "?projectId=+7",
        "?projectId=%", "?projectId=%zz", "?projectId=7%00", "?projectId=1234567890123456789", "?projectId=-1",
        "?sourceId=7", "?filter=a", "?limit=5", "?projectId=7;x=1", "?projectId=7#x", "?projectId=%E2%80%8B7",
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public void Every_query_is_judged_alike_whichever_way_it_is_read(string query)
    {
        foreach (var operation in DataForgeOperation.All)
        {
            var request = new DefaultHttpContext().Request;
            request.QueryString = new QueryString(query);

            var (usual, usualErrors) = Check(operation, errors => RequestValidationMiddleware.CheckQuery(request, errors.Parameters, Settings, errors.Errors));
            var (any, anyErrors) = Check(operation, errors =>
            {
                RequestValidationMiddleware.CheckAnyQuery(request, errors.Parameters, Settings, errors.Errors);
                RequestValidationMiddleware.Require(errors.Parameters, ParameterLocation.Query, errors.Errors);
            });

            Assert.Equal(any, usual);
            Assert.Equal(anyErrors, usualErrors);
        }
    }

    [Theory]
    [InlineData("?projectId=7", true, "7")]
    [InlineData("?project%49d=%37", true, "7")]
    [InlineData("", true, null)]
    [InlineData("?projectId=7&projectId=7", false, null)]   // left to the full check, with nothing taken
    [InlineData("?projectId=7&x=1", false, null)]
    [InlineData("?projectId=7&projectId=abc", false, null)]
    [InlineData("?projectid=7", false, null)]
    public void The_usual_query_is_read_without_the_query_collection_and_any_other_left_to_it(string query, bool usual, string? projectId)
    {
        var parameters = new RequestParameters(DataForgeOperation.Sources);

        Assert.Equal(usual, RequestValidationMiddleware.TryCheckUsualQuery(query, parameters, Settings));
        Assert.Equal(projectId, parameters.ProjectId);
    }

    private static (string?[] Values, string[] Errors) Check(DataForgeOperation operation, Action<(RequestParameters Parameters, ValidationErrors Errors)> check)
    {
        var parameters = new RequestParameters(operation);
        var errors = new ValidationErrors();
        check((parameters, errors));
        var values = Enumerable.Range(0, operation.Parameters.Count).Select(i => parameters[i]).ToArray();
        return (values, errors.ByField?.Select(e => $"{e.Key}: {string.Join(" | ", e.Value)}").ToArray() ?? []);
    }
}
