import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { webhookHeaders } from './webhook-headers.js';
import { createHmac } from 'node:crypto';
import { cachedKeyCount, newWebhookSecret, signatureHeader } from './webhook-signer.js';

describe('webhook signing', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('signs the way the standardwebhooks library verifies', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ event_id: 'o_1-completed-1', type: 'orchestration.completed' });
    const headers = webhookHeaders(
      { eventId: 'o_1-completed-1', eventType: 'orchestration.completed', body, secret, previousSecret: null, previousSecretExpiresAt: null },
      Date.now(),
    );
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace('1', '2'), headers)).toThrow();
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('o_1-completed-1', new Date(Number(headers['webhook-timestamp']) * 1000), body));
  });

  it('adds the previous secret\'s signature only until the overlap ends', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    expect(signatureHeader([a, b], 'id', 1, 'x').split(' ')).toHaveLength(2);
    const message = { eventId: 'id', eventType: 'webhook.test' as const, body: '{}', secret: a, previousSecret: b };
    expect(webhookHeaders({ ...message, previousSecretExpiresAt: 2_000 }, 1_000)['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(webhookHeaders({ ...message, previousSecretExpiresAt: 2_000 }, 3_000)['webhook-signature']!.split(' ')).toHaveLength(1);
  });
  it('sends orra\'s headers and the Standard Webhooks trio, with the attempt\'s own timestamp in seconds', () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders(
      { eventId: 'o_9-failed-1', eventType: 'orchestration.failed', body: '{}', secret, previousSecret: null, previousSecretExpiresAt: null },
      1_700_000_123_999,
    );
    expect(Object.keys(headers).sort()).toEqual(['content-type', 'user-agent', 'webhook-id', 'webhook-signature', 'webhook-timestamp', 'x-orra-event']);
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'orra/1.0',
      'x-orra-event': 'orchestration.failed',
      'webhook-id': 'o_9-failed-1',
      'webhook-timestamp': '1700000123',
    });
  });

  it('stops signing with the previous secret at the instant the overlap ends', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const message = { eventId: 'id', eventType: 'webhook.test' as const, body: '{}', secret: a, previousSecret: b, previousSecretExpiresAt: 5_000 };
    expect(webhookHeaders(message, 4_999)['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(webhookHeaders(message, 5_000)['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(webhookHeaders({ ...message, previousSecretExpiresAt: null }, 0)['webhook-signature']!.split(' ')).toHaveLength(1);
  });

  it('signs with the base64-decoded bytes of a secret, with or without the whsec_ prefix', () => {
    const raw = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const expected = `v1,${createHmac('sha256', Buffer.from(raw, 'base64')).update('id.7.body').digest('base64')}`;
    expect(signatureHeader([`whsec_${raw}`], 'id', 7, 'body')).toBe(expected);
    expect(signatureHeader([raw], 'id', 7, 'body')).toBe(expected);
    // The decoded key is cached; a second secret must not reuse the first one's key.
    expect(signatureHeader([`whsec_${Buffer.from('another key of 32 bytes, exactly').toString('base64')}`], 'id', 7, 'body')).not.toBe(expected);
  });
  it('caches decoded keys up to 1,000 secrets, then starts over: memory stays bounded', () => {
    const before = cachedKeyCount();
    const secrets = Array.from({ length: 3 }, () => newWebhookSecret());
    for (const secret of secrets) signatureHeader([secret], 'id', 1, 'x');
    signatureHeader([secrets[0]!], 'id', 1, 'x');
    expect(cachedKeyCount()).toBe(Math.min(before + 3, before + 3 > 1_000 ? 3 : before + 3));
    for (let i = 0; i < 1_001; i++) signatureHeader([newWebhookSecret()], 'id', 1, 'x');
    expect(cachedKeyCount()).toBeLessThanOrEqual(1_000);
    expect(cachedKeyCount()).toBeGreaterThan(0);
  });
});
