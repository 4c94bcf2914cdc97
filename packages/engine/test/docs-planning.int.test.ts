import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CliHome } from '../../cli/test/helpers/cli.js';
import { createLogger } from '../src/logging/logger.js';
import { OPERATION_VERBS } from '../src/planning/operation-verbs.js';
import { readPhrasing, readSpecText } from '../src/planning/phrasing.js';
import { chunksOf } from '../src/planning/slot-filler.js';
import { SYNONYMS } from '../src/planning/synonyms.js';
import { isValueLike } from '../src/planning/tokenize.js';
import { USE_CASE_THRESHOLD } from '../src/planning/use-case-matcher.js';
import {
  ECOMMERCE_GROUNDING,
  ECOMMERCE_SERVICES,
  SHIPPING_GROUNDING,
} from './fixtures/ecommerce-grounding.js';
import { Api } from './helpers/api.js';
import { parseCurlCommands, sendCurl } from './helpers/curl-command.js';
import { parseDocJson, shapeMismatches } from './helpers/doc-json.js';
import { FakeLlm, planReply } from './helpers/fake-llm.js';
import { MarkdownDoc, markdownTables } from './helpers/markdown-doc.js';
import { startEcommerceServices, startShippingServices } from './helpers/planning-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * docs/planning.md against real engines: the grounding spec is applied as written with `orra grounding
 * apply -f`, the services are the worked example's, and the worked example's request, plan, scores and
 * verdicts are the engine's; the request and error examples are what the grounded and LLM planners
 * really do with them.
 */
const doc = MarkdownDoc.read('docs/planning.md');
const spec = doc.section('Grounding specs', 2).blocks.find((b) => b.lang === 'yaml')!.text;
const worked = doc.section('Worked example', 2);
const prose = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, '').replace(/\s+/g, ' ');

/** The engine's score (three decimals) is the document's (two decimals, or `0`) once rounded. */
function expectScore(actual: number, documented: string | undefined, what: string): void {
  expect(documented, what).toMatch(/^(0|\d\.\d\d)$/);
  expect(
    Math.abs(actual - Number(documented)),
    `${what}: ${actual} is not ${documented}`,
  ).toBeLessThanOrEqual(0.005 + 1e-9);
}

interface GroundedPlanLog {
  useCase: string;
  score: number;
  services: { capability: string; service: string; score: number }[];
}

/** A project on `engine` added with `orra projects add`, with the document's spec applied by `orra grounding apply -f`. */
async function projectWithSpec(engine: TestEngine, name: string, cleanup: (() => unknown)[]) {
  const home = new CliHome();
  cleanup.push(() => rmSync(home.dir, { recursive: true, force: true }));
  const added = await home.run(['projects', 'add', name, '--server', engine.url]);
  expect(added.code, added.stderr).toBe(0);
  const file = join(home.dir, 'spec.yaml');
  writeFileSync(file, spec);
  const applied = await home.run(['grounding', 'apply', '-f', file]);
  expect(applied.code, applied.stderr).toBe(0);
  expect(applied.stdout).toContain('Name:      ecommerce-support');
  const apiKey = JSON.parse(readFileSync(home.configPath, 'utf8')).projects[name].cli_auth as string;
  return { apiKey, api: new Api(engine.url, apiKey) };
}

describe('docs/planning.md against real engines', () => {
  /** A project with the shipping services registered and `specs` applied. */
  async function shippingProject(name: string, specs: object[]) {
    const { api: project, apiKey: key } = await projectWithSpec(engine, name, cleanup);
    expect((await project.delete('/groundings')).status).toBeLessThan(300);
    for (const spec of specs) expect((await project.post('/groundings', spec)).status).toBe(201);
    const shipping = await startShippingServices(engine.url, key);
    cleanup.push(() => shipping.shutdown());
    return { api: project, services: shipping };
  }

  const logLines: string[] = [];
  let engine: TestEngine;
  let api: Api;
  let apiKey = '';
  let services: Awaited<ReturnType<typeof startEcommerceServices>>;
  let llm: FakeLlm;
  let llmEngine: TestEngine;
  const cleanup: (() => unknown)[] = [];

  /** The `grounded plan` log line of the last request (the engine logs the numbers at info). */
  const lastGroundedPlan = (): GroundedPlanLog => {
    const line = logLines
      .map((l) => JSON.parse(l) as { msg?: string })
      .reverse()
      .find((l) => l.msg === 'grounded plan') as GroundedPlanLog | undefined;
    expect(line, 'a grounded plan log line').toBeDefined();
    return line!;
  };

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    engine = await startTestEngine({}, undefined, createLogger('info', destination));
    cleanup.push(() => engine.dispose());
    ({ api, apiKey } = await projectWithSpec(engine, 'shop', cleanup));
    services = await startEcommerceServices(engine.url, apiKey);
    cleanup.push(() => services.shutdown());
    llm = await new FakeLlm().start();
    cleanup.push(() => llm.close());
    llmEngine = await startTestEngine({
      llmApiBaseUrl: llm.url,
      llmModel: 'test-model',
      llmTimeoutMs: 10_000,
    });
    cleanup.push(() => llmEngine.dispose());
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('the spec and the services table are those of the worked example (and of the planner tests)', () => {
    const { 'use-cases': useCases, ...rest } = parseYaml(spec);
    expect({ ...rest, useCases }).toEqual(ECOMMERCE_GROUNDING);
    const rows = markdownTables(worked.body)[0]!.rows;
    const fields = (text: string) => [...text.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.split(/,\s*/));
    const documented = rows.map(([name, description, io]) => {
      const [input, output] = io!.split('→');
      const required = /`([^`]+)` \(required\)/.exec(input!)?.[1]?.split(/,\s*/);
      return {
        name: name!.replace(/`/g, ''),
        description,
        input: fields(input!),
        output: fields(output!),
        ...(required ? { required } : {}),
      };
    });
    expect(documented).toEqual(
      Object.values(ECOMMERCE_SERVICES).map((s) => ({
        name: s.name,
        description: s.description,
        input: Object.keys(s.input),
        output: Object.keys(s.output),
        ...(s.required ? { required: s.required } : {}),
      })),
    );
  });

  it('the worked example: the curl request gets the documented plan, for the documented reasons', async () => {
    const [command] = parseCurlCommands(worked.blocks.find((b) => b.lang === 'sh')!.text, { KEY: apiKey });
    const res = await sendCurl(command!, engine.url);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const example = parseDocJson(worked.blocks.find((b) => b.lang === 'json')!.text);
    expect(shapeMismatches(example, res.body)).toEqual([]);
    const ids: Record<string, string> = {
      'order-lookup': services.ids.orders,
      payments: services.ids.payments,
      notifier: services.ids.notifier,
    };
    for (const task of res.body.plan.tasks)
      expect(task.service, task.service_name).toBe(ids[task.service_name]);
    // It runs: the notifier's output is the result.
    await waitFor(async () => (await api.get(`/orchestrations/${res.body.id}`)).body.status === 'completed', {
      what: 'the worked example to complete',
    });

    const steps = prose(worked.body);
    const action = JSON.parse(command!.body!).action.content as string;
    // 1. The words of the action and of the use case's action, as the matcher reads them (synonyms,
    // stems, values left out).
    const [, actionWords, useCaseWords, useCaseScore] =
      /the action's words are `([^`]+)` .*? The refund use case's action, `([^`]+)`, is all there, together, with its verb and no other: score (\d\.\d\d) ≥ (\d\.\d)/.exec(
        steps,
      )!;
    expect(/score \d\.\d\d ≥ (\d\.\d)/.exec(steps)![1]).toBe(String(USE_CASE_THRESHOLD));
    const keys = (text: string) => readSpecText(text).terms.map((t) => t.key);
    expect(keys(actionWords!)).toEqual(
      readPhrasing(chunksOf(action), (c) => isValueLike(c.text)).terms.map((t) => t.key),
    );
    expect(keys(useCaseWords!)).toEqual(keys(ECOMMERCE_GROUNDING.useCases[0]!.action));
    const logged = lastGroundedPlan();
    expect(logged.useCase).toBe('Process refund for order {orderId}');
    expectScore(logged.score, useCaseScore, 'the use case');
    // 2. The slot.
    const slot = /`\{orderId\}` follows the anchor word "order" → `(\w+)`/.exec(steps)![1];
    expect(res.body.taskZero).toEqual({ orderId: slot });
    // 3. Services and their scores.
    const chosen = [...steps.matchAll(/"([^"]+)" → `([\w-]+)` \((\d\.\d\d)\)/g)].map(
      ([, capability, service, score]) => ({
        capability,
        service,
        score,
      }),
    );
    expect(chosen).toHaveLength(3);
    expect(logged.services.map((s) => [s.capability, s.service])).toEqual(
      chosen.map((c) => [c.capability, c.service]),
    );
    logged.services.forEach((s, i) => expectScore(s.score, chosen[i]!.score, s.capability));
    // 5. Order.
    const order = /Order: `([\w-]+)` → `([\w-]+)` → `([\w-]+)`/.exec(steps)!.slice(1);
    expect(res.body.plan.tasks.map((t: { service_name: string }) => t.service_name)).toEqual(order);
  });

  it('the other actions of the worked example: one plan, two not actionable, scores as documented', async () => {
    const text = prose(worked.body);
    const delivery =
      /"(When will order ORD4 be delivered\?)" gives `([\w-]+)` → `([\w-]+)` \(score (\d\.\d\d) against "([^"]+)", through its intent: `([^`]+)`\)/.exec(
        text,
      )!;
    // The intent as the matcher reads it (its subject, "Customer", dropped).
    const intent = ECOMMERCE_GROUNDING.useCases.find((u) => u.action === delivery[5])!.intent;
    const keys = (t: string) => readSpecText(t).terms.map((term) => term.key);
    expect(keys(intent).slice(1)).toEqual(keys(delivery[6]!));
    expect(keys(intent)[0]).toBe('customer');
    const res = await api.post('/orchestrations', { action: { content: delivery[1] } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.plan.tasks.map((t: { service_name: string }) => t.service_name)).toEqual([
      delivery[2],
      delivery[3],
    ]);
    expect(lastGroundedPlan()).toMatchObject({ useCase: delivery[5] });
    expectScore(lastGroundedPlan().score, delivery[4], delivery[1]!);

    const misses =
      /"(What is the weather in Paris\?)" matches nothing \(score (\d(?:\.\d\d)?)\) and "(Track order ORD1)" asks for another operation \((\d\.\d\d), ([^)]+)\)/.exec(
        text,
      )!;
    const cases: [string, string, string | undefined][] = [
      [misses[1]!, misses[2]!, undefined],
      [misses[3]!, misses[4]!, misses[5]!],
    ];
    for (const [action, score, reason] of cases) {
      const miss = await api.post('/orchestrations', { action: { content: action } });
      expect(miss.status, action).toBe(400);
      expect(miss.body.error.code).toBe('Orra:ActionNotActionable');
      // "with the closest use case, its score and the reason in the message"
      const m =
        /closest use case "([^"]+)" of grounding spec ecommerce-support \(score ([\d.]+)\) refused: (.+) \(orchestration o_\w+\)$/.exec(
          miss.body.error.message,
        );
      expect(m, miss.body.error.message).not.toBeNull();
      expectScore(Number(m![2]), score, action);
      if (reason) expect(m![3]).toBe(reason);
    }
  });

  it('the same verdicts and scores with a spec that holds only the use case concerned', async () => {
    const text = prose(worked.body);
    const { api: single, apiKey: singleKey } = await projectWithSpec(engine, 'single', cleanup);
    const singleServices = await startEcommerceServices(engine.url, singleKey);
    cleanup.push(() => singleServices.shutdown());
    const refund = 'Process refund for order {orderId}';
    const [command] = parseCurlCommands(worked.blocks.find((b) => b.lang === 'sh')!.text, { KEY: singleKey });
    const workedScore = /the action's words are .*? score (\d\.\d\d)/.exec(text)![1]!;
    const delivery =
      /"(When will order ORD4 be delivered\?)" gives .*? \(score (\d\.\d\d) against "([^"]+)"/.exec(text)!;
    const track = /"(Track order ORD1)" asks for another operation \((\d\.\d\d), ([^)]+)\)/.exec(text)!;
    const cases = [
      {
        action: JSON.parse(command!.body!).action.content as string,
        useCase: refund,
        score: workedScore,
        reason: undefined,
      },
      { action: delivery[1]!, useCase: delivery[3]!, score: delivery[2]!, reason: undefined },
      { action: track[1]!, useCase: refund, score: track[2]!, reason: track[3]! },
    ];
    for (const c of cases) {
      expect((await single.delete('/groundings')).status).toBeLessThan(300);
      const useCase = ECOMMERCE_GROUNDING.useCases.find((u) => u.action === c.useCase)!;
      expect(
        (await single.post('/groundings', { ...ECOMMERCE_GROUNDING, name: 'only-one', useCases: [useCase] }))
          .status,
      ).toBe(201);
      const res = await single.post('/orchestrations', { action: { content: c.action } });
      if (c.reason === undefined) {
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body.useCase).toMatchObject({ grounding: 'only-one', action: c.useCase });
        expectScore(res.body.useCase.score, c.score, c.action);
        continue;
      }
      expect(res.status).toBe(400);
      const m =
        /closest use case "([^"]+)" of grounding spec only-one \(score ([\d.]+)\) refused: (.+) \(orchestration/.exec(
          res.body.error.message,
        );
      expect(m, res.body.error.message).not.toBeNull();
      expect(m![1]).toBe(c.useCase);
      expectScore(Number(m![2]), c.score, c.action);
      expect(m![3]).toBe(c.reason);
    }
  });

  it('the not-actionable example: the message, the stored orchestration, nothing run', async () => {
    const section = doc.section('When an action cannot be planned', 2);
    const action = /For "([^"]+)"/.exec(prose(section.body))![1]!;
    const documented = section.blocks[0]!.text.trim();
    const before = JSON.stringify(services.calls);
    const res = await api.post('/orchestrations', { action: { content: action } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('Orra:ActionNotActionable');
    const id = /\(orchestration (o_\w+)\)$/.exec(res.body.error.message)![1]!;
    expect(res.body.error.message).toBe(documented.replace('o_…', id));
    const stored = (await api.get(`/orchestrations/${id}`)).body;
    expect(stored).toMatchObject({
      status: 'not_actionable',
      error: expect.stringContaining('Cancel the order'),
    });
    expect(JSON.stringify(services.calls)).toBe(before);
  });

  it('the unmatched example: the closest use case and the rule it broke, nothing run', async () => {
    const section = doc.section('When an action cannot be planned', 2);
    const action = /for "([^"]+)":/.exec(prose(section.body))![1]!;
    const before = JSON.stringify(services.calls);
    const res = await api.post('/orchestrations', { action: { content: action } });
    expect(res.status).toBe(400);
    const id = /\(orchestration (o_\w+)\)$/.exec(res.body.error.message)![1]!;
    expect(res.body.error.message).toBe(section.blocks[1]!.text.trim().replace('o_…', id));
    expect((await api.get(`/orchestrations/inspections/${id}`)).body).not.toHaveProperty('tasks');
    expect(JSON.stringify(services.calls)).toBe(before);
  });

  it("the matching rules: the synonym table, the operation verbs and the threshold are the code's", () => {
    const matching = doc.section('Matching an action to a use case', 2);
    const table = markdownTables(matching.body).find((t) => t.header[0] === 'Word')!;
    expect(Object.fromEntries(table.rows.map(([word, also]) => [word, also!.split(/,\s*/)]))).toEqual(
      SYNONYMS,
    );
    const verbs = /Operation verbs are a closed list[^:]*: ([^…]+)…/.exec(prose(matching.body))![1]!;
    const listed = [...verbs.matchAll(/([a-z]+)/g)].map((m) => m[1]!);
    expect(listed.length).toBeGreaterThan(10);
    for (const verb of listed) expect(OPERATION_VERBS.has(verb), verb).toBe(true);
    expect(/scores at least \*\*(\d\.\d)\*\*/.exec(matching.body)![1]).toBe(String(USE_CASE_THRESHOLD));
  });

  it('the examples with one use case: alone, and beside the e-commerce spec', async () => {
    const section = doc.section('Examples with one use case', 3);
    const yaml = section.blocks.find((b) => b.lang === 'yaml')!.text;
    const { 'use-cases': useCases, ...rest } = parseYaml(yaml);
    expect({ ...rest, useCases }).toEqual(SHIPPING_GROUNDING);
    const rows = markdownTables(section.body)[0]!.rows.map(([action, score, verdict]) => ({
      action: action!.replace(/`/g, ''),
      score: score!,
      runs: /^runs as "([^"]+)"$/.exec(verdict!)?.[1],
      refused: /^refused: (.+)$/.exec(verdict!)?.[1],
    }));
    expect(rows.every((r) => (r.runs === undefined) !== (r.refused === undefined))).toBe(true);
    expect(rows.filter((r) => r.runs).length).toBeGreaterThan(0);

    type Project = Awaited<ReturnType<typeof shippingProject>>;
    /**
     * Sends the row's action: one that runs must run as documented, with the documented score. For a
     * refused one, the refusal of "Ship order" (score and reason), if the message names it as closest.
     */
    const send = async (project: Project, r: (typeof rows)[number]) => {
      const res = await project.api.post('/orchestrations', { action: { content: r.action } });
      if (r.runs) {
        expect(res.status, `${r.action}: ${JSON.stringify(res.body)}`).toBe(202);
        expect(res.body.useCase).toMatchObject({ grounding: 'shipping', action: r.runs });
        expectScore(res.body.useCase.score, r.score, r.action);
        const id = res.body.id as string;
        const isCompleted = async () =>
          (await project.api.get(`/orchestrations/${id}`)).body.status === 'completed';
        await waitFor(isCompleted, { what: `${r.action} to complete` });
        return undefined;
      }
      expect(res.status, r.action).toBe(400);
      expect(res.body.error.code).toBe('Orra:ActionNotActionable');
      const m =
        /closest use case "Ship order \{orderId\}" of grounding spec shipping \(score ([\d.]+)\) refused: (.+) \(orchestration/.exec(
          res.body.error.message,
        );
      if (m) {
        expectScore(Number(m[1]), r.score, r.action);
        expect(m[2], r.action).toBe(r.refused);
      }
      return m ?? undefined;
    };

    // Alone: exactly as documented, and nothing runs for a refused action.
    const alone = await shippingProject('ship-only', [SHIPPING_GROUNDING]);
    for (const r of rows) {
      const refusal = await send(alone, r);
      if (r.refused) expect(refusal, `${r.action} names "Ship order" as the closest`).toBeDefined();
    }
    // "no stock is held, no card charged": only the actions that run reached the services.
    const ran = rows.filter((r) => r.runs).map((r) => /ORD-\d+/.exec(r.action)![0]);
    expect(alone.services.calls.inventory.map((c) => c.orderId)).toEqual(ran);
    expect(alone.services.calls.billing.map((c) => c.orderId)).toEqual(ran);

    // Beside the e-commerce spec (four use cases): never planned as "Ship order" unless documented so,
    // with the same score; where "Ship order" is still the closest, the same score and reason.
    const beside = await shippingProject('ship-and-more', [SHIPPING_GROUNDING, ECOMMERCE_GROUNDING]);
    for (const r of rows) await send(beside, r);
    expect(beside.services.calls.inventory.map((c) => c.orderId)).toEqual(ran);
  });

  it('the request example: every data field must be used, so the grounded planner names the unused one', async () => {
    const request = doc.blocks('json')[0]!.text;
    const res = await api.request('POST', '/orchestrations', undefined, request);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('Orra:ActionNotActionable');
    expect(res.body.error.message).toMatch(/data field\(s\) reason are not an input of any service/);
  });

  it('the planner column: explicit with a plan, grounded by default, llm with LLM_API_BASE_URL', async () => {
    const table = markdownTables(doc.text).find((t) => t.header[0] === 'Source')!;
    const planner = (source: string) => table.rows.find(([s]) => s === source)![2]!.replace(/`/g, '');
    const explicit = await api.post('/orchestrations', {
      action: { content: 'Look up order ORD9' },
      plan: { tasks: [{ id: 'task1', service: services.ids.orders, input: { orderId: 'ORD9' } }] },
    });
    expect(explicit.body.planner).toBe(planner('explicit'));
    // The same problem in an explicit plan: 400 Orra:InvalidPlan, `invalid plan: …`.
    const invalid = await api.post('/orchestrations', {
      action: { content: 'Refund order ORD9' },
      plan: {
        tasks: [
          { id: 'task1', service: services.ids.orders, input: { orderId: 'ORD9' } },
          { id: 'task2', service: services.ids.payments, input: { orderId: 'ORD9', amount: '$task1.total' } },
        ],
      },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({
      code: 'Orra:InvalidPlan',
      message: 'invalid plan: task2.input: $task1.total names a field order-lookup does not output',
    });
    const grounded = await api.post('/orchestrations', { action: { content: 'Refund order ORD9' } });
    expect(grounded.body.planner).toBe(planner('grounded planner'));

    const { api: llmApi, apiKey: llmKey } = await projectWithSpec(llmEngine, 'llm', cleanup);
    const llmServices = await startEcommerceServices(llmEngine.url, llmKey);
    try {
      const plan = {
        tasks: [
          { id: 'task0', input: { orderId: 'ORD3' } },
          { id: 'task1', service: llmServices.ids.orders, input: { orderId: '$task0.orderId' } },
          {
            id: 'task2',
            service: llmServices.ids.payments,
            input: { orderId: '$task0.orderId', amount: '$task1.amount' },
          },
        ],
      };
      llm.reply(planReply(plan));
      // The worked example's request, on an engine with an LLM: the model is asked, with the matched
      // use case and the spec's constraint in the prompt.
      const [command] = parseCurlCommands(worked.blocks.find((b) => b.lang === 'sh')!.text, { KEY: llmKey });
      const res = await sendCurl(command!, llmEngine.url);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.planner).toBe(planner('LLM planner'));
      const constraint = /the constraint "([^"]+)" in the prompt/.exec(prose(worked.body))![1]!;
      expect(llm.prompt(0)).toContain(constraint);
      expect(llm.prompt(0)).toContain('Process refund for order {orderId}');

      // The validator's example message: a plan with a field its service does not output, and a data
      // field no task uses (the request example's `reason`), refused after the model's three attempts.
      const wrong = structuredClone(plan);
      wrong.tasks[2]!.input.amount = '$task1.total';
      llm.reply(planReply(wrong), planReply(wrong), planReply(wrong));
      const refused = await llmApi.request('POST', '/orchestrations', undefined, doc.blocks('json')[0]!.text);
      expect(refused.status).toBe(502);
      expect(refused.body.error.code).toBe('Orra:PlanningFailed');
      const paragraph = /all of them in one answer[\s\S]*?\n\n/.exec(doc.text)![0].replace(/\s+/g, ' ');
      const documented = [...paragraph.matchAll(/`([^`]+)`/g)].at(-1)![1]!;
      expect(refused.body.error.message).toBe(documented);
    } finally {
      await llmServices.shutdown();
    }
  });
});
