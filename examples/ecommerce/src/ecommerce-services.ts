import { initService, type OrraService } from '@orra/sdk';

/** What the example services tell their caller as they work (the demo prints these). */
export type ServiceEvent =
  | { service: string; kind: 'task'; taskId: string; input: unknown; output: unknown }
  | { service: string; kind: 'task-failed'; taskId: string; error: string }
  | { service: string; kind: 'revert'; taskId: string; orchestrationId: string; reason: string }
  | { service: string; kind: 'revert-failed'; taskId: string; orchestrationId: string; error: string };

export interface EcommerceOptions {
  orraUrl: string;
  apiKey: string;
  /** Called for every task and revert the services handle. */
  onEvent?: (event: ServiceEvent) => void;
}

/**
 * Three services of an online shop. Behaviour is driven by the order id so a demo can show every path:
 * - `...-NODELIVERY` → the delivery estimate fails (the orchestration fails; inventory and payment are undone);
 * - `...-NOREFUND`   → additionally the payment refund fails (a compensation failure an operator must resolve).
 */
export async function startEcommerceServices(options: EcommerceOptions): Promise<{ services: OrraService[]; shutdown(): Promise<void> }> {
  const emit = options.onEvent ?? (() => undefined);
  const stock = new Map<string, number>([['SKU-1', 100], ['SKU-2', 5]]);
  const ids = new Map<string, string>();
  const make = (name: string) =>
    initService({
      name,
      orraUrl: options.orraUrl,
      orraKey: options.apiKey,
      persistenceOpts: { method: 'custom', customSave: async (id: string) => void ids.set(name, id), customLoad: async () => ids.get(name) ?? null },
    });

  const inventory = make('inventory');
  await inventory.register({
    description: 'Holds stock for the items of an order so they cannot be sold twice; releases the hold when reverted.',
    schema: {
      input: { type: 'object', properties: { orderId: { type: 'string' }, sku: { type: 'string' }, quantity: { type: 'number' } } },
      output: { type: 'object', properties: { holdId: { type: 'string' }, remaining: { type: 'number' } } },
    },
    revertible: true,
    revertTTL: 3_600_000,
  });
  inventory.onRevert(async (task, result: any, context) => {
    const input = (task as any).input as { sku: string; quantity: number };
    stock.set(input.sku, (stock.get(input.sku) ?? 0) + input.quantity);
    const orchestrationId = context?.orchestrationId ?? '';
    emit({ service: 'inventory', kind: 'revert', taskId: (task as any).id, orchestrationId, reason: `released ${result.holdId}` });
  });
  inventory.start(async (task) => {
    const { orderId, sku, quantity } = task.input as { orderId: string; sku: string; quantity: number };
    const left = (stock.get(sku) ?? 0) - quantity;
    if (left < 0) throw new Error(`only ${stock.get(sku) ?? 0} of ${sku} in stock`);
    stock.set(sku, left);
    const output = { holdId: `hold-${orderId}`, remaining: left };
    emit({ service: 'inventory', kind: 'task', taskId: task.id, input: task.input, output });
    return output;
  });

  const payment = make('payment');
  await payment.register({
    description: 'Charges the customer for an order and refunds the charge when reverted.',
    schema: {
      input: { type: 'object', properties: { orderId: { type: 'string' }, amount: { type: 'number' }, holdId: { type: 'string' } } },
      output: { type: 'object', properties: { chargeId: { type: 'string' }, amount: { type: 'number' } } },
    },
    revertible: true,
    revertTTL: 3_600_000,
  });
  payment.onRevert(async (task, result: any, context) => {
    const orchestrationId = context?.orchestrationId ?? '';
    const { orderId } = (task as any).input as { orderId: string };
    if (orderId.endsWith('-NOREFUND')) {
      const error = `refund of ${result.chargeId} rejected by the card processor`;
      emit({ service: 'payment', kind: 'revert-failed', taskId: (task as any).id, orchestrationId, error });
      throw new Error(error);
    }
    emit({ service: 'payment', kind: 'revert', taskId: (task as any).id, orchestrationId, reason: `refunded ${result.chargeId}` });
  });
  payment.start(async (task) => {
    const { orderId, amount } = task.input as { orderId: string; amount: number };
    const output = { chargeId: `ch-${orderId}`, amount };
    emit({ service: 'payment', kind: 'task', taskId: task.id, input: task.input, output });
    return output;
  });

  const delivery = make('delivery');
  await delivery.register({
    description: 'Estimates the delivery date of a paid order to the customer address.',
    schema: {
      input: { type: 'object', properties: { orderId: { type: 'string' }, address: { type: 'string' }, chargeId: { type: 'string' } } },
      output: { type: 'object', properties: { eta: { type: 'string' }, carrier: { type: 'string' } } },
    },
  });
  delivery.start(async (task) => {
    const { orderId, address } = task.input as { orderId: string; address: string };
    if (orderId.includes('-NODELIVERY') || orderId.endsWith('-NOREFUND')) {
      const error = `no carrier delivers to ${address}`;
      emit({ service: 'delivery', kind: 'task-failed', taskId: task.id, error });
      throw new Error(error);
    }
    const output = { eta: '2 business days', carrier: 'FastShip' };
    emit({ service: 'delivery', kind: 'task', taskId: task.id, input: task.input, output });
    return output;
  });

  const services = [inventory, payment, delivery];
  return { services, shutdown: async () => void (await Promise.all(services.map((s) => s.shutdown()))) };
}
