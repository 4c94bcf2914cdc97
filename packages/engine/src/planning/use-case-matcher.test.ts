import { describe, expect, it } from 'vitest';
import { ECOMMERCE_GROUNDING, SHIPPING_GROUNDING } from '../../test/fixtures/ecommerce-grounding.js';
import type { GroundingRecord } from '../storage/store.js';
import { fillSlots } from './slot-filler.js';
import { matchUseCase, USE_CASE_THRESHOLD } from './use-case-matcher.js';

type Spec = Omit<GroundingRecord, 'projectId' | 'createdAt' | 'updatedAt' | 'constraints'> & {
  constraints?: string[];
};
/** A spec as stored; one sent without constraints is stored with `null` (grounding-validator.ts). */
const record = (spec: Spec): GroundingRecord => ({
  projectId: 'p_1',
  constraints: null,
  ...spec,
  createdAt: 0,
  updatedAt: 0,
});
const ecommerce = record(ECOMMERCE_GROUNDING);
const shipping = record(SHIPPING_GROUNDING);
const REFUND = 'Process refund for order {orderId}';
const DELIVERY = 'Estimate delivery date for order {orderId}';
const CANCEL = 'Cancel order {orderId}';
const SHIP = 'Ship order {orderId}';

/** The refusal of `action` against `specs`; fails the test when the action matched. */
function refusal(
  action: string,
  specs: GroundingRecord[],
  data: { field: string; value: unknown }[] | null = null,
) {
  const result = matchUseCase(action, data, specs);
  expect(result.kind === 'match' ? `matched ${result.match.useCase.action}` : 'refused', action).toBe(
    'refused',
  );
  return result.kind === 'miss' ? result.closest : undefined;
}

describe('use-case matcher, a spec with the one use case "Ship order {orderId}"', () => {
  it.each([
    ['Ship order ORD1', 'ORD1'],
    ['ship order ord1', 'ord1'],
    ['SHIP ORDER ORD-2', 'ORD-2'],
    ['Please ship order #ORD-3', 'ORD-3'],
    ['Could you ship my order ORD4 today?', 'ORD4'],
    ['Ship the whole order ORD5 to the customer', 'ORD5'],
    ['Shipping order ORD6 please', 'ORD6'],
    ['I need order ORD7 shipped', 'ORD7'],
    ['Order ORD8: ship it', 'ORD8'],
    ['Dispatch order ORD9', 'ORD9'],
    ['Get order ORD10 dispatched', 'ORD10'],
    ['Send out order ORD11', 'ORD11'],
    ['Process the shipment of order ORD12', 'ORD12'],
    ['Ship order no. 13', '13'],
    ['Ship order "ORD 14"', 'ORD 14'],
  ])('matches the paraphrase %j and reads %j as the order id', (action, orderId) => {
    const result = matchUseCase(action, null, [shipping]);
    expect(result.kind === 'match' && result.match.useCase.action, JSON.stringify(result)).toBe(SHIP);
    if (result.kind === 'match') expect(result.match.params).toEqual({ orderId });
  });

  it.each([
    ['Cancel order ORD-8', 0.5, 'verb "cancel" does not match "ship"'],
    ['Refund order ORD-10', 0.5, 'verb "refund" does not match "ship"'],
    ['Track order ORD-12', 0.5, 'verb "track" does not match "ship"'],
    ['Do not ship order ORD-11', 1, 'the action is negated ("not")'],
  ])('refuses the reported action %j (score %d): %s', (action, score, reason) => {
    expect(refusal(action, [shipping])).toEqual({ spec: 'shipping', action: SHIP, score, reason });
  });

  it.each([
    // Other operations, alone or next to the use case's words.
    ['Hold order ORD1', 'verb "hold" does not match "ship"'],
    ['Charge order ORD1', 'verb "charge" does not match "ship"'],
    ['Return order ORD1', 'verb "return" does not match "ship"'],
    ['Send order ORD1', 'verb "send" does not match "ship"'],
    ['Send back order ORD1', 'verb "send back" does not match "ship"'],
    ['Reimburse order ORD1', 'verb "reimburse" does not match "ship"'],
    ['Cancel the shipment of order ORD1', 'verb "cancel" does not match "ship"'],
    ['Track the shipping of order ORD1', 'verb "track" does not match "ship"'],
    ['Ship order ORD1 and refund it', 'verb "refund" does not match "ship"'],
    ['Stop shipping order ORD1', 'verb "stop" does not match "ship"'],
    // Negations and conditions.
    ["Don't ship order ORD1", `the action is negated ("don't")`],
    ['dont ship order ORD1', 'the action is negated ("dont")'],
    ['Never ship order ORD1', 'the action is negated ("never")'],
    ["I can't ship order ORD1", `the action is negated ("can't")`],
    ['Ship order ORD1 without charging the card', 'the action is negated ("without")'],
    ['Ship all orders except ORD1', 'the action is negated ("except")'],
    ['Ship order ORD1 if the card clears', 'the action sets a condition ("if")'],
    ['Ship order ORD1 unless it is paid', 'the action sets a condition ("unless")'],
    // Missing or extra values.
    ['Ship order', 'no value was found for {orderId}: send it as a data field or write it in the action'],
    ['Please dispatch my order', 'no value was found for {orderId}'],
    ['Ship orders ORD1 and ORD2', `the action's "ORD2" fills no {slot} of the use case`],
    // Something else, or nothing the use case says.
    ['Order ORD1', 'the action does not say "ship" (or dispatch, send out)'],
    ['Where is order ORD1?', 'the action does not say "ship" (or dispatch, send out)'],
    ['Frobnicate order ORD1', 'the action does not say "ship" (or dispatch, send out)'],
    ['Ship ORD1', 'the action does not say "order"'],
    ['What is the weather in Paris?', 'the action does not say "ship" (or dispatch, send out), "order"'],
    ['Ship the gift wrap of order ORD1', `the action puts "gift", "wrap" between the use case's words`],
    [
      'Ship order ORD1 please: blue parcel behind counter, large window, staircase, reception desk, second floor office building north wing',
      `most of the action is not about the use case (score below ${USE_CASE_THRESHOLD})`,
    ],
  ])('refuses %j, naming the use case and the reason', (action, reason) => {
    const closest = refusal(action, [shipping]);
    expect(closest).toMatchObject({ spec: 'shipping', action: SHIP });
    expect(closest?.reason).toContain(reason);
  });

  it('decides and scores an action the same whether the project has one use case or several', () => {
    const several = [ecommerce, shipping];
    for (const action of ['Ship order ORD1', 'Could you ship my order ORD4 today?', 'Dispatch order ORD9']) {
      const [alone, among] = [matchUseCase(action, null, [shipping]), matchUseCase(action, null, several)];
      expect(alone.kind === 'match' && among.kind === 'match' && among.match.useCase.action, action).toBe(
        SHIP,
      );
      if (alone.kind === 'match' && among.kind === 'match')
        expect(among.match.score, action).toBe(alone.match.score);
    }
    for (const action of [
      'Track order ORD-12',
      'Order ORD1',
      'Do not ship order ORD-11',
      'Ship the gift wrap of order ORD1',
    ]) {
      expect(matchUseCase(action, null, [shipping]).kind, action).toBe('miss');
      expect(matchUseCase(action, null, several).kind, action).toBe('miss');
    }
  });

  it('takes the order id from a data field, and then the text needs no value', () => {
    const result = matchUseCase('Dispatch the order', [{ field: 'orderId', value: 'ORD1' }], [shipping]);
    expect(result.kind === 'match' && result.match).toMatchObject({
      params: { orderId: 'ORD1' },
      sources: { orderId: 'data' },
    });
  });
});

describe('use-case matcher, the e-commerce spec of docs/planning.md', () => {
  it.each([
    ['Process refund for order ORD1', REFUND, 'ORD1'],
    ['Refund order ORD2', REFUND, 'ORD2'],
    ['Refund the entire order ORD2', REFUND, 'ORD2'],
    ['I want my money back for order ORD3, it arrived broken', REFUND, 'ORD3'],
    ['Issue a refund on order #ORD-77', REFUND, 'ORD-77'],
    ['When will order ORD4 be delivered?', DELIVERY, 'ORD4'],
    ['Estimate when order ORD5 will arrive', DELIVERY, 'ORD5'],
    ['Estimate the delivery date of my order ORD6', DELIVERY, 'ORD6'],
    ['Cancel order ORD9', CANCEL, 'ORD9'],
    ['Call off order ORD10', CANCEL, 'ORD10'],
    ['I no longer want order ORD11', CANCEL, 'ORD11'],
  ])('matches %j to %j and reads the order id from the text', (action, useCase, orderId) => {
    const result = matchUseCase(action, null, [ecommerce]);
    expect(result.kind === 'match' && result.match.useCase.action, JSON.stringify(result)).toBe(useCase);
    if (result.kind !== 'match') return;
    expect(result.match.params).toEqual({ orderId });
    expect(result.match.sources).toEqual({ orderId: 'action' });
  });

  it.each([
    ['What is the weather in Paris tomorrow?', REFUND, 'the action does not say "refund"'],
    ['Track order ORD1', REFUND, 'verb "track" does not match "refund"'],
    ['Order ORD1', REFUND, 'the action does not say "refund"'],
    ['Change the delivery address of order ORD1', DELIVERY, 'verb "change" does not match "estimate"'],
    ['What is your refund policy?', REFUND, 'the action does not say "order"'],
    ['Do not cancel order ORD1', CANCEL, 'the action is negated ("not")'],
    [
      'Refund the gift wrap of order ORD1',
      REFUND,
      `the action puts "gift", "wrap" between the use case's words`,
    ],
    ['Cancel subscription S1', CANCEL, 'the action does not say "order"'],
    ['Please refund my order', REFUND, 'no value was found for {orderId}'],
  ])('does not match %j, and reports the closest use case %j and why', (action, useCase, reason) => {
    const closest = refusal(action, [ecommerce]);
    expect(closest?.action).toBe(useCase);
    expect(closest?.reason).toContain(reason);
  });

  it('takes slot values from a data field of the same name first', () => {
    const result = matchUseCase(
      'Please refund my order',
      [{ field: 'order_id', value: 'ORD6' }],
      [ecommerce],
    );
    expect(result.kind === 'match' && result.match).toMatchObject({
      params: { orderId: 'ORD6' },
      sources: { orderId: 'data' },
    });
  });

  it('picks the best of several specs, and gives the same answer for the same input', () => {
    const a = JSON.stringify(matchUseCase('Refund order ORD2', null, [ecommerce, shipping]));
    expect(JSON.parse(a)).toMatchObject({ kind: 'match', match: { useCase: { action: REFUND } } });
    expect(JSON.stringify(matchUseCase('Refund order ORD2', null, [ecommerce, shipping]))).toBe(a);
    expect(matchUseCase('Dispatch order ORD2', null, [ecommerce, shipping])).toMatchObject({
      kind: 'match',
      match: { useCase: { action: SHIP } },
    });
  });
});

describe('slot filler', () => {
  it('fills two slots by their anchor words, and a quoted multi-word value', () => {
    expect(
      fillSlots('Ship {sku} to customer {customerId}', 'please ship "blue mug XL" to customer C-9', null)
        .params,
    ).toEqual({
      sku: 'blue mug XL',
      customerId: 'C-9',
    });
  });

  it('uses the one loose value when the anchor word is missing', () => {
    expect(fillSlots(REFUND, 'refund ORD1 please', null)).toEqual({
      params: { orderId: 'ORD1' },
      sources: { orderId: 'action' },
      missing: [],
      unused: [],
    });
  });

  it('reports the values no slot took', () => {
    expect(fillSlots(SHIP, 'ship order ORD1 and ORD2 by 2030-01-01', null).unused).toEqual([
      'ORD2',
      '2030-01-01',
    ]);
  });
});

describe('use-case matcher, ties, data values and messages', () => {
  const spec = (name: string, actions: string[]): GroundingRecord =>
    record({
      name,
      domain: 'test',
      version: '1.0',
      useCases: actions.map((action) => ({ action, intent: action.replace(/\{\w+\}/g, '').trim(), capabilities: ['x'] })),
    } as Spec);

  it('keeps the better of two matching use cases whichever comes first, and the first of two that tie', () => {
    const exact = spec('a-exact', ['Ship order {orderId}']);
    const loose = spec('b-loose', ['Ship {orderId}']);
    for (const specs of [[exact, loose], [loose, exact]]) {
      const result = matchUseCase('Ship order ORD1', null, specs);
      expect(result.kind === 'match' && result.match.spec.name).toBe('a-exact');
    }
    const twin = spec('c-twin', ['Ship order {orderId}']);
    const tied = matchUseCase('Ship order ORD1', null, [exact, twin]);
    expect(tied.kind === 'match' && tied.match.spec.name).toBe('a-exact');
  });

  it('counts a data value written in the action as a value, not a word, whatever its type', () => {
    for (const value of ['blue', true]) {
      const result = matchUseCase(`Ship order ${String(value)}`, [{ field: 'orderId', value }], [shipping]);
      expect(result.kind === 'match' && result.match.score, String(value)).toBe(1);
    }
  });

  it('names every missing word and every unused value, comma-separated', () => {
    expect(refusal('What is the weather in Paris?', [shipping])?.reason).toBe(
      'the action does not say "ship" (or dispatch, send out), "order"',
    );
    expect(refusal('Ship order ORD1 and ORD2 by 2030-01-01', [shipping])?.reason).toBe(
      `the action's "ORD2", "2030-01-01" fills no {slot} of the use case, and one action runs one use case once`,
    );
  });

  it('refuses an action that is not negated for a use case that is, and one with a condition', () => {
    const dont = spec('dont', ['Do not ship order {orderId}']);
    expect(refusal('Ship order ORD1', [dont])?.reason).toBe('the use case is negated ("not") and the action is not');
    expect(matchUseCase('Do not ship order ORD1', null, [dont]).kind).toBe('match');
    expect(refusal('Ship order ORD1 if it is paid', [shipping])?.reason).toMatch(/^the action sets a condition \("if/);
  });

  /** A spec with one use case whose action template and intent are given apart. */
  const useCase = (action: string, intent: string): GroundingRecord =>
    record({ name: 'one', domain: 'test', version: '1.0', useCases: [{ action, intent, capabilities: ['x'] }] } as Spec);

  it('names the use case\'s verb, not its first word, when the action asks for another operation', () => {
    const urgent = useCase('Urgently ship order {orderId}', 'Customer wants order shipped urgently');
    expect(refusal('Cancel order ORD1', [urgent])?.reason).toBe('verb "cancel" does not match "ship"');
    // A template that is all slots has no verb to name.
    const bare = useCase('{orderId}', 'Customer order status');
    expect(refusal('Cancel order status ORD1', [bare])?.reason).toBe('verb "cancel" is not a word of the use case');
  });

  it('refuses a use case with no words to match', () => {
    expect(refusal('Ship ORD1', [useCase('{orderId}', 'Customer')])).toEqual({
      spec: 'one',
      action: '{orderId}',
      score: 0,
      reason: 'the use case has no words to match',
    });
  });

  it('scores a use case by the better of its two phrasings, refused or matched', () => {
    // Refused (negated) through both: the intent covers the action, the template only half of it.
    const express = useCase('Ship order {orderId} by express courier', 'Customer wants order shipped');
    expect(refusal('Do not ship order ORD1', [express])?.score).toBe(1);
    // Matched through both: "now" is a word of the intent only, so the intent scores 1, the template 0.909.
    const now = useCase('Ship order {orderId}', 'Customer wants their order shipped now');
    const result = matchUseCase('Ship order ORD1 now', null, [now]);
    expect(result.kind === 'match' && result.match.score).toBe(1);
  });

  it('names every missing slot, comma-separated, and each missing word once', () => {
    const address = useCase('Ship order {orderId} to {address}', 'Customer wants order shipped');
    expect(refusal('Ship order', [address])?.reason).toBe(
      'no value was found for {orderId}, {address}: send it as a data field or write it in the action',
    );
    const labels = useCase('Print label and label sheet for order {orderId}', 'Print label and label sheet for order');
    expect(refusal('Print order ORD1', [labels])?.reason).toBe('the action does not say "label", "sheet"');
  });

  it('matches an action with a condition when the use case has the same condition', () => {
    const paid = useCase('Ship order {orderId} if it is paid', 'Customer wants a paid order shipped');
    const result = matchUseCase('Ship order ORD1 if it is paid', null, [paid]);
    expect(result.kind === 'match' && result.match.params).toEqual({ orderId: 'ORD1' });
  });

  it('matches at exactly the threshold score', () => {
    // 2 of the action's 12 words are the use case's: 5p / (4p + 1) with p = 1/6 is 0.5.
    const action = 'Ship order ORD1 because the buyer phoned yesterday about blue wooden garden chairs and green tables';
    const result = matchUseCase(action, null, [shipping]);
    expect(result.kind === 'match' && result.match.score).toBe(USE_CASE_THRESHOLD);
  });

  it('judges the words between by the shortest stretch holding the use case, the first of equal ones', () => {
    // A later, longer stretch has a word between ("large"); the first, shortest one does not.
    expect(matchUseCase('Ship order ORD1 then order large ship', null, [shipping]).kind).toBe('match');
    // The first stretch has a word between ("big"); a later, shorter one does not.
    expect(matchUseCase('Ship big order, ship order ORD1', null, [shipping]).kind).toBe('match');
    // Two stretches of four words: the first has none between (its "order" twice), the second has "large".
    const express = useCase('Ship order {orderId} express', 'Customer wants order shipped express');
    const twice = 'Ship order order express ORD1 because blue wooden garden chairs ship large order express';
    expect(matchUseCase(twice, null, [express]).kind).toBe('match');
  });

  it('drops only a subject ("Customer …") from the intent, never its first word otherwise', () => {
    const toCustomer = useCase('Ship order {orderId}', 'Ship an order to the customer');
    expect(refusal('Order ORD1 for the customer', [toCustomer])?.reason).toBe('the action does not say "ship" (or dispatch, send out)');
  });
});
