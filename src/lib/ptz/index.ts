// PTZCmd codec, GB/T 28181-2016 Appendix A.3.
export { decodePtz } from './decode.js';
export { encodePtz } from './encode.js';
export { PtzError, type PtzErrorCode } from './errors.js';
export type { PtzAux, PtzCommand, PtzCruise, PtzFocusIris, PtzMove, PtzPreset, PtzScan } from './types.js';
