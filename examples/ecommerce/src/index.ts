export * from './ecommerce-services.js';
