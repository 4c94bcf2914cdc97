import { describe, expect, it } from 'vitest';
import { collectReferences, isMissing, lookupField, parseReference, resolveInput } from './references.js';

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
  it('parses only a whole `$taskN.field` value, with any number of digits', () => {
    expect(parseReference('$task12.orderId')).toEqual({ taskId: 'task12', field: 'orderId' });
    expect(parseReference('$task1.a.b')).toEqual({ taskId: 'task1', field: 'a.b' });
    for (const notOne of ['x$task1.a', '$task1.', '$task.a', '$taskx.a', 'task1.a', 7, null, { $task1: 'a' }]) {
      expect(parseReference(notOne), JSON.stringify(notOne)).toBeUndefined();
    }
    expect(parseReference('$task1.a\nmore')).toBeUndefined();
  });

  it('looks up nothing in an output that is not an object, or through a value that is not one', () => {
    for (const output of [null, undefined, 'text', 5]) expect(isMissing(lookupField(output, 'a'))).toBe(true);
    expect(isMissing(lookupField({ a: 'text' }, 'a.length'))).toBe(true);
    expect(isMissing(lookupField({ a: null }, 'a.b'))).toBe(true);
    expect(isMissing(lookupField({ a: { b: null } }, 'a.b'))).toBe(false);
    expect(lookupField({ a: { b: null } }, 'a.b')).toBeNull();
    expect(isMissing(lookupField({ a: {} }, 'a.toString'))).toBe(true);
    expect(isMissing('anything else')).toBe(false);
  });

  it('turns a reference that finds nothing into null inside an array and drops it inside an object', () => {
    expect(resolveInput({ list: ['$task1.missing', '$task0.orderId'], obj: { gone: '$task1.missing', kept: '$task0.orderId' } }, outputs)).toEqual({
      list: [null, 'O1'],
      obj: { kept: 'O1' },
    });
    expect(resolveInput({ nothing: null, list: [null] }, outputs)).toEqual({ nothing: null, list: [null] });
  });
});
