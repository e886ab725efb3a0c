// MANSCDP bodies, GB/T 28181-2016 Appendix A (2011 and 2022 bodies tolerated).
export { decodeManscdp, MAX_BODY_BYTES, MAX_DEPTH } from './decode.js';
export { encodeManscdp, type ManscdpOutgoing } from './encode.js';
export { ManscdpError, type ManscdpErrorCode } from './errors.js';
export type { BuildOptions, ManscdpCharset, ManscdpMessage, ManscdpRoot, XmlObject, XmlValue } from './types.js';
export { buildResultResponse } from './common.js';
export { buildQuery, type RecordInfoQueryFields } from './query.js';
export {
  buildCatalogNotify,
  buildCatalogResponses,
  catalogItemFields,
  parseCatalog,
  type CatalogEvent,
  type CatalogItem,
  type CatalogItemInput,
  type CatalogResult,
} from './catalog.js';
export {
  buildRecordInfoResponses,
  parseRecordInfo,
  parseRecordInfoQuery,
  type RecordInfoQuery,
  type RecordInfoResult,
  type RecordItem,
  type RecordItemInput,
} from './record-info.js';
export { buildDeviceInfoResponse, parseDeviceInfo, type DeviceInfo, type DeviceInfoInput } from './device-info.js';
export {
  buildDeviceStatusResponse,
  parseDeviceStatus,
  type AlarmDutyStatus,
  type DeviceStatus,
  type DeviceStatusInput,
} from './device-status.js';
export { buildKeepalive, parseKeepalive, type Keepalive } from './keepalive.js';
export { buildAlarmNotify, parseAlarm, type Alarm, type AlarmInput } from './alarm.js';
export { buildMobilePositionNotify, parseMobilePosition, type MobilePosition, type MobilePositionInput } from './mobile-position.js';
export { buildMediaStatusNotify, MEDIA_STATUS_END_OF_FILE, parseMediaStatus, type MediaStatus } from './media-status.js';
export { buildPresetResponse, parsePresetList, type Preset, type PresetList } from './preset.js';
export { buildConfigDownloadResponse, parseConfigDownload, type ConfigDownload } from './config-download.js';
export {
  buildControlResponse,
  buildDeviceControl,
  parseControlResponse,
  parseDeviceControl,
  type ControlResponse,
  type DeviceControlCmd,
} from './device-control.js';
