// The OpenTelemetry JS SDK's OTLP/HTTP protobuf exporter against tracehound: nested spans with GenAI
// attributes land as one tree, committed by the time forceFlush() resolves.
import assert from "node:assert/strict";
import { test } from "node:test";

import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const url = process.env.TRACEHOUND_URL;
if (!url) throw new Error("set TRACEHOUND_URL to a running tracehound server");
const apiKey = process.env.TRACEHOUND_API_KEY ?? "any";

function uuidOf(traceId: string): string {
  return `${traceId.slice(0, 8)}-${traceId.slice(8, 12)}-${traceId.slice(12, 16)}-${traceId.slice(16, 20)}-${traceId.slice(20)}`;
}

test("OTLP exporter: a nested agent trace with GenAI attributes", async () => {
  const exporter = new OTLPTraceExporter({
    url: `${url}/v1/traces`,
    headers: { "X-API-Key": apiKey, "X-Tracehound-Project": "ts-otel" },
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "ts-otel-agent" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("tracehound-e2e-ts", "1.0.0");

  const root = tracer.startSpan("agent run");
  const inRoot = trace.setSpan(context.active(), root);
  const chat = tracer.startSpan("chat gpt-4o-mini", {
    attributes: {
      "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 42, "gen_ai.usage.output_tokens": 7,
    },
  }, inRoot);
  chat.end();
  const tool = tracer.startSpan("lookup_order", {
    attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order",
                  "gen_ai.tool.call.arguments": JSON.stringify({ order: 7 }) },
  }, inRoot);
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "order 7 not found" });
  tool.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();

  const traceId = root.spanContext().traceId;
  const answer = await fetch(`${url}/api/v1/traces/${uuidOf(traceId)}`, { headers: { "X-API-Key": apiKey } });
  assert.equal(answer.status, 200);
  const body = (await answer.json()) as { spans: Array<Record<string, any>> };
  const byName = Object.fromEntries(body.spans.map((span) => [span.name, span]));
  assert.deepEqual(Object.keys(byName).sort(), ["agent run", "chat gpt-4o-mini", "lookup_order"]);
  assert.equal(byName["chat gpt-4o-mini"].run_type, "llm");
  assert.equal(byName["chat gpt-4o-mini"].prompt_tokens, 42);
  assert.equal(byName["chat gpt-4o-mini"].parent_id, byName["agent run"].id);
  assert.equal(byName["lookup_order"].run_type, "tool");
  assert.equal(byName["lookup_order"].status, "error");
  assert.deepEqual(byName["lookup_order"].inputs, { order: 7 });
  for (const span of body.spans) assert.equal(span.project, "ts-otel");
});
