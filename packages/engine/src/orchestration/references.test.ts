import { describe, expect, it } from 'vitest';
import { collectReferences, resolveInput } from './references.js';

describe('references', () => {
  const outputs = new Map<string, unknown>([
    ['task0', { orderId: 'O1' }],
    ['task1', { 'a.b': 'literal key', a: { b: 'nested', c: [1, 2] }, n: 0 }],
  ]);

  it('resolves $taskN.field, preferring a literal key over a dotted path', () => {
    expect(resolveInput({ x: '$task1.a.b', y: '$task1.a.c', z: '$task1.n', id: '$task0.orderId' }, outputs)).toEqual({
      x: 'literal key',
      y: [1, 2],
      z: 0,
      id: 'O1',
    });
  });

  it('follows dotted paths and resolves references nested in objects and arrays', () => {
    const out = new Map<string, unknown>([['task1', { address: { city: 'Oslo' } }]]);
    expect(resolveInput({ to: { city: '$task1.address.city' }, list: ['$task1.address.city', 'x'] }, out)).toEqual({
      to: { city: 'Oslo' },
      list: ['Oslo', 'x'],
    });
  });

  it('leaves out a top-level key whose reference finds nothing, and keeps literals', () => {
    expect(resolveInput({ gone: '$task1.missing', lit: '$not a ref', n: 5 }, outputs)).toEqual({ lit: '$not a ref', n: 5 });
  });

  it('collects every reference, however deep', () => {
    expect(collectReferences({ a: '$task2.x', b: [{ c: '$task3.y.z' }], d: 'plain' })).toEqual([
      { taskId: 'task2', field: 'x' },
      { taskId: 'task3', field: 'y.z' },
    ]);
  });
});
