/** XML namespaces of SOAP 1.2, WS-Security, WS-Addressing/WS-Discovery (2004/08, 2005/04) and ONVIF. */
export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tr2: 'http://www.onvif.org/ver20/media/wsdl',
  tptz: 'http://www.onvif.org/ver20/ptz/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  timg: 'http://www.onvif.org/ver20/imaging/wsdl',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  ter: 'http://www.onvif.org/ver10/error',
} as const;

/** WS-Security token profile URIs (OASIS UsernameToken Profile 1.0 §3.1, SOAP Message Security 1.0). */
export const WSSE_PASSWORD_DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
export const WSSE_BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** The service prefixes our request bodies use; each maps to its WSDL namespace, which is also the action base. */
export type ServicePrefix = 'tds' | 'trt' | 'tptz';

/** SOAP action of an operation: `<WSDL target namespace>/<operation>` (the `soapAction` of the ONVIF WSDL bindings). */
export function actionOf(service: ServicePrefix, operation: string): string {
  return `${NS[service]}/${operation}`;
}
