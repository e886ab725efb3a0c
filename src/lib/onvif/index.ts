// ONVIF (Core, Media 1.0, PTZ 2.0) SOAP codecs and WS-Discovery: pure functions, no I/O.
export * as device from './device.js';
export * as media from './media.js';
export * as ptz from './ptz.js';
export { buildProbe, describeScopes, parseProbeMatches, PROBE_ACTION, PROBE_MATCHES_ACTION, WSD_MULTICAST_ADDRESS, WSD_PORT, type ProbeMatch, type ProbeType, type ScopeInfo } from './discovery.js';
export type { DeviceClock, DeviceInformation, ServiceAddresses, ServiceEntry } from './device.js';
export type { MediaProfile } from './media.js';
export type { PtzPreset, PtzVelocity } from './ptz.js';
export { isOnvifError, OnvifError, type OnvifErrorCode } from './errors.js';
export { authorizationFor, canAnswerDigest, parseChallenges, pickChallenge, type Challenge } from './http-auth.js';
export { actionOf, NS } from './namespaces.js';
export { contentType, envelope, faultError, faultErrorCode, parseEnvelope, readFault, responseElement, type SoapFault, type SoapMessage, type SoapRequest } from './soap.js';
export { formatCreated, passwordDigest, usernameToken, type UsernameTokenInput } from './wsse.js';
export { parseXml } from './xml.js';
