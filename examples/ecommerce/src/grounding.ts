/** The grounding spec the demo applies: what the shop's actions mean and which capabilities they need. */
export const SHOP_GROUNDING = {
  name: 'online-shop',
  domain: 'e-commerce',
  version: '1.0',
  useCases: [
    {
      action: 'Place order {orderId} and ship it to the customer',
      params: { orderId: 'ORD-1' },
      capabilities: ['Hold stock for the items of the order', 'Charge the customer for the order', 'Estimate the delivery date'],
      intent: 'A customer checks out an order that must be reserved, paid and shipped',
    },
  ],
  constraints: ['Never charge before the stock is held'],
};
