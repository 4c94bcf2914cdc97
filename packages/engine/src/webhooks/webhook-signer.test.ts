import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { webhookHeaders } from './webhook-headers.js';
import { newWebhookSecret, signatureHeader } from './webhook-signer.js';

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
});
