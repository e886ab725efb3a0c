export * from './attributes.js';
export * from './errors.js';
export * from './gb-format.js';
export * from './gb.js';
export * from './parse.js';
export * from './types.js';
export * from './write.js';
