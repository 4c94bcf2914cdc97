import { describe, expect, it } from 'vitest';
import { ECOMMERCE_GROUNDING } from '../../test/fixtures/ecommerce-grounding.js';
import type { GroundingRecord } from '../storage/store.js';
import { fillSlots } from './slot-filler.js';
import { matchUseCase } from './use-case-matcher.js';

const spec: GroundingRecord = { projectId: 'p_1', ...ECOMMERCE_GROUNDING, createdAt: 0, updatedAt: 0 };
const REFUND = 'Process refund for order {orderId}';
const DELIVERY = 'Estimate delivery date for order {orderId}';

describe('use-case matcher', () => {
  it.each([
    ['Process refund for order ORD1', REFUND, 'ORD1'],
    ['Refund order ORD2', REFUND, 'ORD2'],
    ['I want my money back for order ORD3, it arrived broken', REFUND, 'ORD3'],
    ['Issue a refund on order #ORD-77', REFUND, 'ORD-77'],
    ['When will order ORD4 be delivered?', DELIVERY, 'ORD4'],
    ['Estimate when order ORD5 will arrive', DELIVERY, 'ORD5'],
    ['Cancel order ORD9', 'Cancel order {orderId}', 'ORD9'],
  ])('matches %j to %j and reads the order id from the text', (action, useCase, orderId) => {
    const result = matchUseCase(action, null, [spec]);
    expect(result.kind).toBe('match');
    if (result.kind !== 'match') return;
    expect(result.match.useCase.action).toBe(useCase);
    expect(result.match.params).toEqual({ orderId });
    expect(result.match.sources).toEqual({ orderId: 'action' });
  });

  it.each(['What is the weather in Paris tomorrow?', 'Track order ORD1', 'Order ORD1', 'Change the delivery address of order ORD1'])(
    'does not match %j, and reports the closest use case',
    (action) => {
      const result = matchUseCase(action, null, [spec]);
      expect(result.kind).toBe('miss');
      if (result.kind === 'miss') expect(result.best?.score ?? 0).toBeLessThan(0.45);
    },
  );

  it('takes slot values from a data field of the same name first', () => {
    const result = matchUseCase('Please refund my order', [{ field: 'order_id', value: 'ORD6' }], [spec]);
    expect(result.kind === 'match' && result.match).toMatchObject({ params: { orderId: 'ORD6' }, sources: { orderId: 'data' }, missing: [] });
  });

  it('reports a slot it found no value for', () => {
    const result = matchUseCase('What is your refund policy?', null, [spec]);
    expect(result.kind === 'match' && result.match.missing).toEqual(['orderId']);
  });

  it('gives the same answer for the same input', () => {
    const a = JSON.stringify(matchUseCase('Refund order ORD2', null, [spec]));
    expect(JSON.stringify(matchUseCase('Refund order ORD2', null, [spec]))).toBe(a);
  });
});

describe('slot filler', () => {
  it('fills two slots by their anchor words, and a quoted multi-word value', () => {
    expect(fillSlots('Ship {sku} to customer {customerId}', 'please ship "blue mug XL" to customer C-9', null).params).toEqual({
      sku: 'blue mug XL',
      customerId: 'C-9',
    });
  });

  it('uses the one loose value when the anchor word is missing', () => {
    expect(fillSlots(REFUND, 'refund ORD1 please', null)).toEqual({ params: { orderId: 'ORD1' }, sources: { orderId: 'action' }, missing: [] });
  });
});
