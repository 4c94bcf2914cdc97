import { collectReferences } from './references.js';

const stable = (value: unknown): string => JSON.stringify(value);

/**
 * Moves every constant input value of the service tasks into task0 and replaces it with a
 * `$task0.<key>` reference, as orra does with LLM plans (orra-compat §5.4). Afterwards task0 is the one
 * place that holds what the planner took from the action and the data, which is what an operator reads
 * to see what a plan "understood".
 *
 * The key is the input's own name; when task0 already has that key with a different value, the next
 * free `<key>_2`, `<key>_3`, … is used, and a key of that family that already holds an equal value is
 * reused. Values that contain a reference anywhere inside stay where they are (we resolve references
 * nested in objects and arrays; orra does not, and hoists them as opaque constants).
 *
 * Returns new objects; the inputs are not modified.
 */
export function hoistLiterals(
  taskZero: Record<string, unknown>,
  tasks: readonly { input: Record<string, unknown> }[],
): { taskZero: Record<string, unknown>; inputs: Record<string, unknown>[] } {
  const zero = { ...taskZero };
  const inputs = tasks.map((task) => {
    const input: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(task.input)) {
      input[key] = collectReferences(value).length > 0 ? value : `$task0.${placeIn(zero, key, value)}`;
    }
    return input;
  });
  return { taskZero: zero, inputs };
}

/** The task0 key that holds `value`: an existing one of the key's family with an equal value, else a new one. */
function placeIn(zero: Record<string, unknown>, key: string, value: unknown): string {
  const wanted = stable(value);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? key : `${key}_${n}`;
    if (!Object.hasOwn(zero, candidate)) {
      zero[candidate] = value;
      return candidate;
    }
    if (stable(zero[candidate]) === wanted) return candidate;
  }
}
