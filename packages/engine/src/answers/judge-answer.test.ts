import type { SdkPayload } from '@orra/protocol';
import { describe, expect, it } from 'vitest';
import { judgeAnswer, type WorkPhase } from './judge-answer.js';

const result = (executionId: string): SdkPayload => ({ type: 'task_result', serviceId: 's_a', executionId, idempotencyKey: 'k', result: { task: { ok: true } } });
const failure = (executionId: string): SdkPayload => ({ type: 'task_result', serviceId: 's_a', executionId, idempotencyKey: 'k', error: 'boom' });
const status: SdkPayload = { type: 'task_status', serviceId: 's_a', executionId: 'e_2', idempotencyKey: 'k', status: 'in_progress' };
const work = (phase: WorkPhase) => ({ serviceId: 's_a', phase });

describe('judgeAnswer', () => {
  it('accepts a result or a failure for work awaiting it, whatever execution id it carries', () => {
    for (const p of [result('e_1'), result('e_old'), failure('e_old')]) expect(judgeAnswer(work('awaiting'), 's_a', p)).toEqual({ action: 'accept' });
  });

  it('between attempts takes a result but keeps a failure as late: that attempt was counted', () => {
    expect(judgeAnswer(work('between_attempts'), 's_a', result('e_1')).action).toBe('accept');
    expect(judgeAnswer(work('between_attempts'), 's_a', failure('e_1')).action).toBe('late');
  });

  it('keeps any outcome for ended work as late, and ignores a status for it', () => {
    expect(judgeAnswer(work('ended'), 's_a', result('e_1')).action).toBe('late');
    expect(judgeAnswer(work('ended'), 's_a', failure('e_1')).action).toBe('late');
    expect(judgeAnswer(work('ended'), 's_a', status).action).toBe('ignore');
    expect(judgeAnswer(work('awaiting'), 's_a', status).action).toBe('accept');
  });

  it('refuses an answer from another service, or for no known work', () => {
    expect(judgeAnswer(work('awaiting'), 's_b', result('e_1'))).toEqual({ action: 'refuse', reason: 'the work was sent to service s_a, not to this one' });
    expect(judgeAnswer(work('ended'), 's_b', result('e_1')).action).toBe('refuse');
    expect(judgeAnswer(undefined, 's_a', result('e_1')).action).toBe('refuse');
  });
});
