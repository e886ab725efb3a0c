/** RFC 3261 §17.1.1.1 / Table 4 timer values, in ms. */
export const T1 = 500;
export const T2 = 4000;
/** Timer B/F/J: 64·T1. */
export const TRANSACTION_TIMEOUT = 64 * T1;
