export type ExtractedPlan = { kind: 'json'; value: Record<string, unknown> } | { kind: 'unusable'; problem: string };

/**
 * Takes the plan JSON out of a model's reply. Reasoning models prefix a `<think>…</think>` block (some
 * servers drop the opening tag), which is removed first. Then, in order: the first ```json fenced block
 * (what the prompt asks for, and all orra accepts), the first fenced block of any language, or the text
 * from the first `{` to the last `}` — models that forget the fence still plan well, and the validator
 * decides whether the plan is any good. The result must be a JSON object.
 */
export function extractPlanJson(reply: string): ExtractedPlan {
  let text = reply.replace(/<think>[\s\S]*?<\/think>/gi, '');
  const closing = text.search(/<\/think>/i);
  if (closing >= 0) text = text.slice(closing + '</think>'.length);
  const fenced = /```json\s*\n?([\s\S]*?)```/i.exec(text) ?? /```[a-z]*\s*\n?([\s\S]*?)```/i.exec(text);
  let candidate = fenced?.[1];
  if (candidate === undefined) {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    if (start < 0 || end <= start) {
      return { kind: 'unusable', problem: 'the reply has no JSON plan: put it between a ```json start marker and a ``` end marker' };
    }
    candidate = text.slice(start, end + 1);
  }
  let value: unknown;
  try {
    value = JSON.parse(candidate);
  } catch (err) {
    return { kind: 'unusable', problem: `the JSON in the reply does not parse: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'unusable', problem: 'the JSON in the reply must be an object with a "tasks" array' };
  }
  return { kind: 'json', value: value as Record<string, unknown> };
}
