export * from './hub.js';
export * from './sink.js';
export * from './stream.js';
