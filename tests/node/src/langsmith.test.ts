// The unmodified `langsmith` npm package against tracehound: traceable (nested runs, an error, LLM usage),
// Client.listRuns with filters, datasets and examples, and evaluate(). The server URL comes from
// TRACEHOUND_URL (set by tests/e2e/test_typescript.py, which also checks what the server stored).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { Client, type Run } from "langsmith";
import { evaluate, type EvaluateOptions } from "langsmith/evaluation";
import { traceable } from "langsmith/traceable";

const url = process.env.TRACEHOUND_URL;
if (!url) throw new Error("set TRACEHOUND_URL to a running tracehound server");
const project = process.env.TRACEHOUND_TS_PROJECT ?? `ts-${randomUUID().slice(0, 8)}`;
const client = new Client({ apiUrl: url, apiKey: process.env.TRACEHOUND_API_KEY ?? "any" });

async function collect(runs: AsyncIterable<Run>): Promise<Run[]> {
  const out: Run[] = [];
  for await (const run of runs) out.push(run);
  return out;
}

test("traceable sends nested runs that listRuns reads back with filters", async () => {
  const lookupOrder = traceable(
    async (orderId: string) => {
      if (orderId === "missing") throw new Error(`order ${orderId} not found`);
      return { orderId, status: "shipped" };
    },
    { name: "lookup_order", run_type: "tool", client, project_name: project, metadata: { tool_version: "2" } },
  );
  const chatModel = traceable(
    async (prompt: string) => ({
      content: `It shipped (${prompt.length} chars asked).`,
      usage_metadata: { input_tokens: 11, output_tokens: 5, total_tokens: 16 },
    }),
    { name: "chat_model", run_type: "llm", client, project_name: project,
      metadata: { ls_model_name: "gpt-ts", ls_provider: "openai" } },
  );
  const agent = traceable(
    async (question: string) => {
      await lookupOrder("o-1");
      await lookupOrder("missing").catch(() => undefined);
      return (await chatModel(question)).content;
    },
    { name: "support_agent", client, project_name: project, tags: ["prod", "ts"], metadata: { customer: "acme" } },
  );

  assert.match(await agent("where is my order?"), /It shipped/);
  await client.awaitPendingTraceBatches();

  const every = await collect(client.listRuns({ projectName: project }));
  assert.deepEqual(every.map((run) => run.name).sort(),
                   ["chat_model", "lookup_order", "lookup_order", "support_agent"]);
  const root = every.find((run) => run.name === "support_agent")!;
  assert.equal(root.parent_run_id ?? null, null);
  assert.deepEqual(root.tags, ["prod", "ts"]);
  assert.equal(root.extra?.metadata?.customer, "acme");
  for (const run of every) assert.equal(run.trace_id, root.id);

  const tools = await collect(client.listRuns({
    projectName: project, runType: "tool",
    filter: 'and(eq(metadata_key, "tool_version"), eq(metadata_value, "2"))',
  }));
  assert.equal(tools.length, 2);
  const failed = await collect(client.listRuns({ projectName: project, error: true }));
  assert.equal(failed.length, 1);
  assert.match(failed[0].error ?? "", /order missing not found/);
  assert.equal(failed[0].parent_run_id, root.id);
  const roots = await collect(client.listRuns({ projectName: project, isRoot: true }));
  assert.deepEqual(roots.map((run) => run.id), [root.id]);
  const llm = await collect(client.listRuns({ projectName: project, filter: 'gt(total_tokens, 10)' }));
  assert.deepEqual(llm.map((run) => [run.name, run.total_tokens]), [["chat_model", 16]]);

  const read = await client.readRun(root.id);
  assert.deepEqual(read.outputs, { outputs: "It shipped (18 chars asked)." });

  // The read path the SDK now recommends: client.runs.query / retrieve (/api/v2/runs).
  const projectId = (await client.readProject({ projectName: project })).id;
  const v2: Array<{ id?: string; name?: string | null; status?: string | null }> = [];
  for await (const run of client.runs.query({ project_ids: [projectId], filter: 'eq(run_type, "tool")',
                                              selects: ["NAME", "STATUS"], page_size: 1 })) v2.push(run);
  assert.deepEqual(v2.map((run) => run.status).sort(), ["ERROR", "SUCCESS"]);
  const one = await client.runs.retrieve(root.id, { project_id: projectId, selects: ["NAME", "IS_ROOT"] });
  assert.equal(one.name, "support_agent");
  assert.equal(one.is_root, true);
});

test("datasets, examples and evaluate()", async () => {
  const name = `ts-dataset-${randomUUID().slice(0, 8)}`;
  const dataset = await client.createDataset(name, { description: "made by the TypeScript e2e test" });
  await client.createExamples({
    datasetId: dataset.id,
    inputs: [{ question: "2+2" }, { question: "capital of France" }],
    outputs: [{ answer: "4" }, { answer: "Paris" }],
  });
  const examples = [];
  for await (const example of client.listExamples({ datasetId: dataset.id })) examples.push(example);
  assert.equal(examples.length, 2);

  const answers: Record<string, string> = { "2+2": "4", "capital of France": "Lyon" };
  const exactMatch = (args: { outputs: Record<string, any>; referenceOutputs?: Record<string, any> }) => ({
    key: "exact_match", score: args.outputs.answer === args.referenceOutputs?.answer ? 1 : 0,
  });
  const results = await evaluate(
    async (inputs: Record<string, any>) => ({ answer: answers[inputs.question] }),
    { data: name, client, experimentPrefix: "ts-eval", evaluators: [exactMatch] } as EvaluateOptions,
  );
  const scores = results.results.map((row) => row.evaluationResults.results[0].score).sort();
  assert.deepEqual(scores, [0, 1]);
  await client.awaitPendingTraceBatches();
  const experimentRuns = await collect(client.listRuns({ projectName: results.experimentName, isRoot: true }));
  assert.equal(experimentRuns.length, 2);
  for (const run of experimentRuns) assert.ok(run.reference_example_id);
});
