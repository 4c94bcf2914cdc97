import { describe, expect, it } from 'vitest';
import { extractPlanJson } from './llm-reply.js';

const plan = { tasks: [{ id: 'task0', input: {} }] };

describe('extractPlanJson', () => {
  it.each([
    ['a ```json block after a <think> block', `<think>hmm {"tasks": 1}</think>\nPlan:\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\``],
    ['text after a closing </think> whose opening tag the server dropped', `reasoning…</think>\`\`\`json\n${JSON.stringify(plan)}\n\`\`\``],
    ['a fence without a language', `\`\`\`\n${JSON.stringify(plan)}\n\`\`\``],
    ['bare JSON with words around it', `Here you go: ${JSON.stringify(plan)} Done.`],
  ])('takes the plan from %s', (_what, reply) => {
    expect(extractPlanJson(reply)).toEqual({ kind: 'json', value: plan });
  });

  it.each([
    ['no JSON at all', 'I would call the order service.', 'the reply has no JSON plan'],
    ['JSON that does not parse', '```json\n{"tasks": [,]}\n```', 'the JSON in the reply does not parse'],
    ['a JSON array', '```json\n[1, 2]\n```', 'must be an object'],
  ])('says what is wrong with %s', (_what, reply, problem) => {
    const result = extractPlanJson(reply);
    expect(result.kind).toBe('unusable');
    if (result.kind === 'unusable') expect(result.problem).toContain(problem);
  });
});
