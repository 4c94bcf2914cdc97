import { startService } from './sdk-services.js';

export interface RefundServicesOptions {
  orraUrl: string;
  apiKey: string;
  /** `fail`: every notify task throws, so an orchestration fails at its task2 and payments is undone. */
  notify?: 'ok' | 'fail';
  /**
   * `fail`: undoing a payment throws; `hang`: it never answers (each attempt times out). Either way the
   * compensation fails for good once its attempts are used: a pending failed compensation.
   */
  revert?: 'ok' | 'fail' | 'hang';
}

/**
 * The two services of the docs' `POST /orchestrations` example, as real SDK services: `payments`
 * (revertible; `{orderId}` → `{chargeId}`) and `notify` (`{chargeId, reason}` → `{sent}`). `hold()` makes
 * new payments wait until `release()`, to keep an orchestration `processing`.
 */
export async function startRefundServices(options: RefundServicesOptions) {
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  let endHanging: () => void = () => undefined;
  const hanging = new Promise<void>((resolve) => (endHanging = resolve));
  const payments = await startService({
    orraUrl: options.orraUrl,
    apiKey: options.apiKey,
    name: 'payments',
    input: { orderId: 'string' },
    output: { chargeId: 'string' },
    revertible: true,
    handler: async (task) => {
      await gate;
      return { chargeId: `ch_${task.input.orderId}` };
    },
    onRevert: async () => {
      if (options.revert === 'fail') throw new Error('refund rejected');
      if (options.revert === 'hang') await hanging;
    },
  });
  const notify = await startService({
    orraUrl: options.orraUrl,
    apiKey: options.apiKey,
    name: 'notify',
    input: { chargeId: 'string', reason: 'string' },
    output: { sent: 'boolean' },
    handler: async () => {
      if (options.notify === 'fail') throw new Error('no courier available');
      return { sent: true };
    },
  });
  return {
    payments,
    notify,
    /** The docs' placeholders for these services' ids. */
    placeholders: { 's_payments…': payments.id, 's_notify…': notify.id },
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      open();
      gate = undefined;
    },
    async close() {
      open();
      endHanging();
      await Promise.all([payments.shutdown(), notify.shutdown()]);
    },
  };
}
