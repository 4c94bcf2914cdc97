import { describe, expect, it } from 'vitest';
import { stem } from './stem.js';

describe('stem', () => {
  it.each([
    [['refund', 'refunds', 'refunded', 'refunding'], 'refund'],
    [['deliver', 'delivered', 'delivery', 'deliveries', 'delivering'], 'deliver'],
    [['notify', 'notified', 'notification', 'notifications'], 'notif'],
    [['estimate', 'estimated', 'estimation', 'estimates'], 'estimat'],
    [['arrive', 'arrived', 'arrival', 'arriving'], 'arriv'],
    [['ship', 'shipped', 'shipping', 'shipment'], 'ship'],
    [['order', 'orders', 'ordered'], 'order'],
  ])('maps %j onto one stem', (forms, expected) => {
    expect(forms.map(stem)).toEqual(forms.map(() => expected));
  });

  it('leaves short words, ids and words ending in -ss, -us, -is alone', () => {
    expect(['id', 'ORD12', 'address', 'status', 'analysis'].map(stem)).toEqual(['id', 'ord12', 'address', 'status', 'analysis']);
  });
});
