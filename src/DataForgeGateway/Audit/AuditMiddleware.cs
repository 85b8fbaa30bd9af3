using System.Diagnostics;
using DataForgeGateway.Api;
using DataForgeGateway.Callers;
using DataForgeGateway.Idempotency;
using DataForgeGateway.Primitives;
using DataForgeGateway.RateLimiting;
using DataForgeGateway.SharedReads;
using DataForgeGateway.Tokens;
using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Audit;

/// <summary>
/// Wraps every request on the proxy port, whatever becomes of it, and leaves exactly one audit record and one
/// set of request metrics when it is over: forwarded or refused at any stage, failed upstream, or abandoned by
/// the caller.
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditWriter writer, GatewayMetrics metrics, TimeProvider clock, IHostApplicationLifetime lifetime)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var trace = RequestTrace.Begin(context);
        context.Features.Set<IRequestTraceFeature>(new RequestTraceFeature(trace));   // the first fact: every stage's problems and spans carry it
        var record = new AuditRecord
        {
            Time = clock.GetUtcNow(),
            Method = context.Request.Method,
            ClientIp = context.Connection.RemoteIpAddress,
            Trace = trace,
        };
        try
        {
            await next(context);
        }
        finally
        {
            Complete(context, record, Stopwatch.GetElapsedTime(started), lifetime.ApplicationStopping.IsCancellationRequested);
            metrics.Record(record);
            writer.Write(record);
        }
    }

    private static void Complete(HttpContext context, AuditRecord record, TimeSpan elapsed, bool stopping)
    {
        record.DurationMs = Math.Round(elapsed.TotalMilliseconds, 3);   // to the microsecond
        record.Status = context.Response.StatusCode;
        if (context.User.Identity is CallerIdentity { IsAuthenticated: true } caller)
        {
            record.Caller = caller.Name;
            record.KeyId = caller.KeyId;
            record.Subject = caller.Subject;
        }

        var parameters = context.Features.Get<RequestParameters>();
        record.ProjectId = parameters?.ProjectId;
        record.SourceId = parameters?.SourceId;
        record.UpstreamStatus = context.Features.Get<UpstreamAnswer>()?.Status;
        record.RateLimitDecision = context.Features.Get<RateLimitFeature>()?.Decision;
        record.TokenSource = context.Features.Get<TokenSent>()?.Source switch
        {
            TokenSource.Memory => "memory",
            TokenSource.Redis => "redis",
            TokenSource.Auth0 => "auth0",
            _ => null,
        };
        if (context.GetDataForgeRoute() is { } route)
        {
            record.Environment = route.Environment;
            record.Operation = route.Operation.Name;
            record.Path = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? route.Operation.PathTemplate;
            // The filter is the caller's free text: kept only for a caller the gateway knows, bounded, and never
            // when the path held something shaped like a key.
            if (context.User.Identity is CallerIdentity { IsAuthenticated: true } && context.Features.Get<SecretInPath>() is null)
            {
                var filter = parameters?.NameFilter ?? context.Request.RouteValues["filter"] as string;
                record.NameFilter ??= filter is { Length: > NameFilter.MaxLength } ? filter[..NameFilter.MaxLength] + "…" : filter;
            }

            record.SourceId ??= context.Request.RouteValues["sourceId"] as string is { } sourceId && !sourceId.AsSpan().ContainsAnyExceptInRange('0', '9') ? sourceId : null;
        }
        else
        {
            // The gateway's own endpoint (the OpenAPI document) by its route; anything else masked.
            record.Path = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? PathMask.Mask(context.Request.Path.Value);
        }

        record.Outcome = Outcome(context, record);
        if (stopping && record.Outcome == "caller_disconnected")
        {
            // Cut off by the gateway's own shutdown (HostOptions:ShutdownTimeout), not by the caller: the caller saw
            // its connection closed, which is a 503 of the gateway's, never a 400 of the caller's.
            record.Outcome = "gateway_shutdown";
            record.Status = StatusCodes.Status503ServiceUnavailable;
        }
    }

    private static string Outcome(HttpContext context, AuditRecord record)
    {
        if (context.Features.Get<IdempotentReplay>() is not null)
        {
            return "replayed";
        }

        if (context.Features.Get<SharedRead>() is { } shared)
        {
            return shared.Kind;
        }

        var forwarderError = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
        if (context.RequestAborted.IsCancellationRequested
            || forwarderError is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled)
        {
            return "caller_disconnected";
        }

        if (forwarderError is not ForwarderError.None)
        {
            return "upstream_error";
        }

        if (record.UpstreamStatus is not null && record.Status == record.UpstreamStatus)
        {
            return "forwarded";
        }

        return record.Status switch
        {
            401 or 403 => "denied",
            400 or 413 or 415 or 422 or 431 => "invalid",
            409 => "conflict",
            404 or 405 => "not_found",
            429 => "rate_limited",
            502 or 504 => "upstream_error",
            503 => "unavailable",
            >= 500 => "error",
            _ => record.UpstreamStatus is not null ? "forwarded" : record.Status < 400 ? "served" : "error",
        };
    }
}
