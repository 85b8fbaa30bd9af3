using DataForgeGateway.Api;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// OpenTelemetry traces, metrics and logs. Metrics are always served as Prometheus text on the management port's
/// <c>/metrics</c>; everything is also exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Without a
/// collector the gateway records no span (unless
/// <c>OTEL_TRACES_SAMPLER</c> asks for them): a span per request that goes nowhere is work for nothing. The trace context flows all
/// the same (<see cref="Primitives.RequestTrace"/>): the caller's <c>traceparent</c>, sampled flag included, is continued to
/// DataForge, and its trace id is the audit record's.
/// </summary>
public static class TelemetryExtensions
{
    public const string ServiceName = "dataforge-gateway";

    /// <summary>The framework's meters for what the gateway uses of ASP.NET Core.</summary>
    private static readonly string[] AspNetCoreMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.MemoryPool",
    ];

    public static IHostApplicationBuilder AddGatewayTelemetry(this IHostApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var samplerChosen = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_TRACES_SAMPLER"]);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;

            // ASP.NET Core's request scope carries the raw request path, which is the caller's text (a caller can
            // paste a key into it). Records carry the trace and span ids instead, which is what correlation needs.
            logging.IncludeScopes = false;

            // First of the log processors, ahead of the exporters': records logged after the fact (the audit's) get
            // their own time and trace context.
            logging.AddProcessor(new DeferredLogContextProcessor());
        });
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateOnStart();

        var telemetry = builder.Services.AddOpenTelemetry()
            // Each replica is told apart by its pod's name (HOSTNAME in Kubernetes) in OTLP; Prometheus labels the
            // series with the pod it scraped.
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceInstanceId: Environment.GetEnvironmentVariable("HOSTNAME") ?? Environment.MachineName))
            .WithMetrics(metrics => metrics
                // ASP.NET Core's own meters, as OpenTelemetry's ASP.NET Core metrics instrumentation would add them,
                // less the middleware it also wraps around every request to tag 5xx responses with error.type
                // (an async step a request, for a tag no dashboard or alert here reads; the gateway's requests
                // metric has the status and outcome).
                .AddMeter(AspNetCoreMeters)
                .AddHttpClientInstrumentation()
                // Metrics are on whatever else is configured: Prometheus text on the management port's /metrics.
                .AddPrometheusExporter()
                // The gateway's own meters are added by the features that own them (ConfigureOpenTelemetryMeterProvider).
                .AddMeter("System.Net.Http", "System.Runtime"));

        // Less the framework's instruments recorded several times a request that say what others already say:
        // together a sixth of a request's CPU (Gateway:Metrics:AllFrameworkInstruments brings them back).
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
            MetricsOptions.ApplyTo(metrics, services.GetRequiredService<IOptions<MetricsOptions>>()));

        if (otlp || samplerChosen)
        {
            // W3C trace context is all the gateway propagates, and .NET already does it: ASP.NET Core reads the
            // caller's traceparent, HttpClient writes DataForge's. OpenTelemetry's default propagator (trace context
            // and baggage) has its instrumentations read and write them a second time on every request, sampled or
            // not; with this one they leave it to .NET (about 2 µs of CPU a request, bench/README.md). The gateway
            // reads no baggage and sends DataForge none (TracedForwarderHttpClientFactory).
            Sdk.SetDefaultTextMapPropagator(new TraceContextPropagator());
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options =>
                {
                    options.Filter = context => !context.Request.Path.StartsWithSegments("/health");

                    // A path no route matched, or one whose values were not checked and found valid, is the caller's
                    // text: the span keeps only the gateway's own words (the route's template, or the masked path).
                    options.EnrichWithHttpResponse = (activity, response) =>
                    {
                        var context = response.HttpContext;
                        if (context.GetEndpoint() is not RouteEndpoint route || context.Features.Get<SecretInPath>() is not null)
                        {
                            activity.SetTag("url.path", PathMask.Mask(context.Request.Path.Value));
                        }
                        else if (context.Features.Get<RequestParameters>() is not { IsValid: true })
                        {
                            activity.SetTag("url.path", route.RoutePattern.RawText);
                        }
                    };
                })
                // Not YARP's own forwarder activity: the HttpClient span of the forwarded call already covers it.
                // The gateway's own sources are added by the features that own them.
                .AddHttpClientInstrumentation());
            builder.Services.AddSingleton<IForwarderHttpClientFactory, TracedForwarderHttpClientFactory>();
            builder.Services.AddSingleton<ITransformProvider>(new TraceContextTransformProvider(recordedByHttpClient: true));
        }
        else
        {
            builder.Services.AddSingleton<IForwarderHttpClientFactory, UntracedForwarderHttpClientFactory>();
            builder.Services.AddSingleton<ITransformProvider>(new TraceContextTransformProvider(recordedByHttpClient: false));
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
            builder.Services.AddGatewayExportBatches(builder.Configuration);
        }

        return builder;
    }
}
