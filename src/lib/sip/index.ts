export * from './digest.js';
export * from './errors.js';
export * from './framer.js';
export * from './headers.js';
export * from './message.js';
export * from './name-addr.js';
export * from './uri.js';
export * from './via.js';
