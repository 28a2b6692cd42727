/**
 * OpenTelemetry tracing, on when OTEL_EXPORTER_OTLP_ENDPOINT is set: a span per GraphQL
 * operation (`query.FrontPage`, `mutation.upvotePaper`: its type and name, with the document as
 * an attribute; variables and results are not recorded), made by envelop's plugin
 * (@envelop/opentelemetry) and sent in batches over OTLP/HTTP (JSON) to
 * `<endpoint>/v1/traces`, as the OpenTelemetry specification says for that variable. Resolvers
 * get no spans of their own: a page of 50 papers would make hundreds.
 *
 * Nothing of OpenTelemetry is loaded unless tracing is on: the packages are imported here, when
 * `openTracing` is called (main.ts calls it only with an endpoint).
 */
import type { Plugin } from "graphql-yoga";

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (`http://collector:4318`). */
  endpoint: string;
  /** OTEL_SERVICE_NAME, default `papergraph`. */
  serviceName: string;
  /** How long spans wait to be sent with others (ms); the SDK's default is 5 s. */
  exportDelayMs?: number;
}

export interface Tracing {
  plugin: Plugin;
  /** Sends the spans not sent yet and stops (at shutdown). */
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL of a base endpoint: `<endpoint>/v1/traces`. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}

export async function openTracing({
  endpoint,
  serviceName,
  exportDelayMs,
}: TracingOptions): Promise<Tracing> {
  const [{ useOpenTelemetry }, api, trace, { OTLPTraceExporter }, { Resource }] = await Promise.all(
    [
      import("@envelop/opentelemetry"),
      import("@opentelemetry/api"),
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ],
  );
  const exporter = new OTLPTraceExporter({ url: tracesUrl(endpoint) });
  const provider = new trace.BasicTracerProvider({
    resource: new Resource({ "service.name": serviceName }),
    spanProcessors: [
      new trace.BatchSpanProcessor(exporter, { scheduledDelayMillis: exportDelayMs }),
    ],
  });
  const plugin = useOpenTelemetry(
    { resolvers: false, variables: false, result: false, document: true },
    provider,
    api.SpanKind.SERVER,
    {},
    serviceName,
  ) as unknown as Plugin;
  return { plugin, shutdown: () => provider.shutdown() };
}
