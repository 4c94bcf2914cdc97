import type { Spec } from '@orra/protocol';
import { requiredKeys } from '../services/spec-validator.js';
import type { ServiceRecord } from '../storage/store.js';
import { normalizeName } from './slot-filler.js';

/** A service step of a grounded plan, before it has a task id. */
export interface Step {
  service: ServiceRecord;
  /** The use-case capabilities this service provides (one service may cover several). */
  capabilities: string[];
}

/** Where one input value comes from: a task0 constant or another step's output field. */
export type Source = { from: 'task0'; key: string } | { from: 'step'; step: number; key: string };

export interface Wiring {
  /** Per step: input key → source. */
  inputs: Map<string, Source>[];
  /** task0 after numeric text values were turned into numbers where a service wants a number. */
  taskZero: Record<string, unknown>;
  /** Steps in execution order: a step comes after every step it reads from; ties keep use-case order. */
  order: number[];
}

export type WiringResult = { kind: 'wired'; wiring: Wiring } | { kind: 'unwired'; problems: string[] };

/**
 * Wires each step's inputs by field name (case and separators ignored) and schema type:
 *  1. a task0 field (the data and the use-case params) — the caller's values win, and need no wait;
 *  2. else an output field of another step, trying steps in use-case order, never one that (directly
 *     or not) reads from this step, so the plan stays acyclic.
 * Every input of the service's schema that has a source is wired; a required input without one makes
 * the plan impossible and is reported, naming service, capability and field.
 */
export function wireInputs(steps: readonly Step[], taskZero: Record<string, unknown>, textKeys: ReadonlySet<string>): WiringResult {
  const zero = { ...taskZero };
  const inputs = steps.map(() => new Map<string, Source>());
  const readsFrom = steps.map(() => new Set<number>());
  const problems: string[] = [];
  const reaches = (from: number, to: number): boolean => {
    const stack = [from];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const at = stack.pop() as number;
      if (at === to) return true;
      if (seen.has(at)) continue;
      seen.add(at);
      stack.push(...(readsFrom[at] ?? []));
    }
    return false;
  };

  steps.forEach((step, i) => {
    const schema = step.service.schema.input;
    const required = new Set(requiredKeys(schema));
    for (const [key, spec] of Object.entries(schema.properties ?? {})) {
      const zeroKey = Object.keys(zero).find((k) => normalizeName(k) === normalizeName(key));
      if (zeroKey !== undefined) {
        const value = asType(zero[zeroKey], spec, textKeys.has(zeroKey));
        if (value.isCompatible) {
          zero[zeroKey] = value.value;
          inputs[i]?.set(key, { from: 'task0', key: zeroKey });
          continue;
        }
      }
      const producer = steps
        .map((other, j) => ({ j, outKey: outputKey(other.service, key, spec) }))
        .find(({ j, outKey }) => j !== i && outKey !== undefined && !reaches(j, i));
      if (producer) {
        inputs[i]?.set(key, { from: 'step', step: producer.j, key: producer.outKey as string });
        readsFrom[i]?.add(producer.j);
      } else if (required.has(key)) {
        problems.push(
          `service ${step.service.name} (for "${step.capabilities[0]}") needs input "${key}"${spec.type ? ` (${spec.type})` : ''}, ` +
            'and neither the data, the action, nor the output of another service of the use case provides it',
        );
      }
    }
  });
  if (problems.length > 0) return { kind: 'unwired', problems };
  return { kind: 'wired', wiring: { inputs, taskZero: zero, order: topologicalOrder(readsFrom) } };
}

/** The output field of a service that can feed input `key` of type `spec.type`. */
function outputKey(service: ServiceRecord, key: string, spec: Spec): string | undefined {
  const props = service.schema.output.properties ?? {};
  return Object.keys(props).find((k) => normalizeName(k) === normalizeName(key) && typesFit((props[k] as Spec).type, spec.type));
}

/** An integer output may feed a number input; anything fits an input that declares no type. */
const typesFit = (produced: Spec['type'] | undefined, wanted: Spec['type'] | undefined): boolean =>
  !produced || !wanted || produced === wanted || (wanted === 'number' && produced === 'integer');

/** Whether a task0 value fits an input; numeric text taken from the action becomes a number when one is wanted. */
function asType(value: unknown, spec: Spec, isText: boolean): { isCompatible: boolean; value: unknown } {
  const fits = (v: unknown) => {
    switch (spec.type) {
      case 'string':
        return typeof v === 'string';
      case 'number':
        return typeof v === 'number';
      case 'integer':
        return Number.isInteger(v);
      case 'boolean':
        return typeof v === 'boolean';
      case 'array':
        return Array.isArray(v);
      case 'object':
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      default:
        return true;
    }
  };
  if (value === null || fits(value)) return { isCompatible: true, value };
  if (isText && typeof value === 'string' && value.trim() !== '' && fits(Number(value))) return { isCompatible: true, value: Number(value) };
  return { isCompatible: false, value };
}

/** Kahn's algorithm; among ready steps the one earliest in the use case goes first (stable plans). */
function topologicalOrder(readsFrom: readonly Set<number>[]): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  while (order.length < readsFrom.length) {
    const next = readsFrom.findIndex((deps, i) => !done.has(i) && [...deps].every((d) => done.has(d)));
    if (next < 0) throw new Error('input wiring produced a cycle'); // reaches() prevents this
    order.push(next);
    done.add(next);
  }
  return order;
}
