import { initService } from '@orra/sdk';
import { ECOMMERCE_SERVICES, SHIPPING_SERVICES, schemaOf, type ServiceDefinition } from '../fixtures/ecommerce-grounding.js';

/** A real SDK service for planning tests: its schema may list `required`, unlike `startService`'s. */
export async function startDefinedService(
  orraUrl: string,
  apiKey: string,
  def: ServiceDefinition,
  handler: (input: Record<string, any>) => Promise<unknown>,
) {
  let savedId: string | null = null;
  const svc = initService({
    name: def.name,
    orraUrl,
    orraKey: apiKey,
    persistenceOpts: {
      method: 'custom',
      customSave: async (id: string) => {
        savedId = id;
      },
      customLoad: async () => savedId,
    },
  } as any);
  await svc.register({ description: def.description, schema: schemaOf(def) } as any);
  svc.start((async (task: { input: Record<string, any> }) => handler(task.input)) as any);
  return Object.assign(svc, { id: svc.info.id as string });
}

/** The four e-commerce services of the worked example, each recording the inputs it received. */
export async function startEcommerceServices(orraUrl: string, apiKey: string) {
  const calls: Record<string, Record<string, unknown>[]> = { orders: [], payments: [], delivery: [], notifier: [] };
  const record = (name: string, input: Record<string, unknown>) => void calls[name]?.push(input);
  const services = await Promise.all([
    startDefinedService(orraUrl, apiKey, ECOMMERCE_SERVICES.orders, async (input) => {
      record('orders', input);
      return { orderId: input.orderId, customerId: `C-${input.orderId}`, amount: 42.5, address: '1 Main Street' };
    }),
    startDefinedService(orraUrl, apiKey, ECOMMERCE_SERVICES.payments, async (input) => {
      record('payments', input);
      return { refundId: `R-${input.orderId}`, status: 'refunded' };
    }),
    startDefinedService(orraUrl, apiKey, ECOMMERCE_SERVICES.delivery, async (input) => {
      record('delivery', input);
      return { eta: `2030-01-01 to ${input.address}` };
    }),
    startDefinedService(orraUrl, apiKey, ECOMMERCE_SERVICES.notifier, async (input) => {
      record('notifier', input);
      return { sent: true };
    }),
  ]);
  return {
    calls,
    ids: { orders: services[0].id, payments: services[1].id, delivery: services[2].id, notifier: services[3].id },
    shutdown: () => Promise.all(services.map((s) => s.shutdown())),
  };
}

/** The three services of the shipping spec (hold stock → charge → ship), each recording the inputs it received. */
export async function startShippingServices(orraUrl: string, apiKey: string) {
  const calls: Record<'inventory' | 'billing' | 'shipping', Record<string, unknown>[]> = { inventory: [], billing: [], shipping: [] };
  const services = await Promise.all([
    startDefinedService(orraUrl, apiKey, SHIPPING_SERVICES.inventory, async (input) => {
      calls.inventory.push(input);
      return { holdId: `H-${input.orderId}` };
    }),
    startDefinedService(orraUrl, apiKey, SHIPPING_SERVICES.billing, async (input) => {
      calls.billing.push(input);
      return { chargeId: `C-${input.orderId}` };
    }),
    startDefinedService(orraUrl, apiKey, SHIPPING_SERVICES.shipping, async (input) => {
      calls.shipping.push(input);
      return { trackingId: `T-${input.orderId}` };
    }),
  ]);
  return { calls, shutdown: () => Promise.all(services.map((s) => s.shutdown())) };
}
