export * from './ids.js';
export * from './duration.js';
export * from './time.js';
export * from './error-codes.js';
export * from './ws/messages.js';
export * from './http/projects.js';
export * from './http/services.js';
export * from './http/orchestrations.js';
