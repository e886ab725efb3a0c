/**
 * Every series `/metrics` exposes (issue 14 §4, R17), with its type and labels. docs/operations.md lists the same
 * table and test/ops/metrics.test.ts checks each name appears in a scrape, so the three cannot drift apart.
 * Process metrics of prom-client's defaults (`sharpeye_process_*`, `sharpeye_nodejs_*`) come on top.
 */
export const SERIES = [
  // signalling (GB/T 28181)
  ['sharpeye_devices_total', 'gauge', '', 'devices in the archive'],
  ['sharpeye_devices_registered', 'gauge', '', 'devices with a live SIP registration'],
  ['sharpeye_devices_online', 'gauge', '', 'devices online (registered and keepalives arriving)'],
  ['sharpeye_channels_total', 'gauge', '', 'channels in the archive'],
  ['sharpeye_channels_online', 'gauge', '', 'channels online'],
  ['sharpeye_sip_messages_total', 'counter', 'direction, type, method', 'SIP messages in/out by request/response and method (responses by their CSeq method)'],
  ['sharpeye_gb_registers_total', 'counter', '', 'REGISTER requests received'],
  ['sharpeye_gb_keepalives_total', 'counter', '', 'keepalives accepted from registered devices'],
  ['sharpeye_sip_parse_errors_total', 'counter', '', 'SIP messages that could not be parsed'],
  ['sharpeye_sip_transaction_timeouts_total', 'counter', '', 'client transactions that timed out (Timer B/F)'],
  ['sharpeye_event_loop_delay_seconds', 'gauge', 'quantile', 'event-loop delay since the previous scrape (0.5, 0.99, 1 = max)'],
  // streams
  ['sharpeye_streams', 'gauge', 'kind', 'streams on this process\'s media node by kind (live, playback, download)'],
  ['sharpeye_stream_viewers', 'gauge', 'kind', 'readers of those streams (viewers, recorders, cascade sends)'],
  ['sharpeye_media_ingress_bytes_total', 'counter', 'kind', 'bytes received from sources'],
  ['sharpeye_media_egress_bytes_total', 'counter', 'protocol', 'bytes sent to viewers, counted when each viewer leaves'],
  // recording and storage
  ['sharpeye_recordings_running', 'gauge', '', 'recorders writing segments'],
  ['sharpeye_recordings_holding', 'gauge', '', 'alarm recorders holding pre-record frames'],
  ['sharpeye_record_segment_errors_total', 'counter', 'code', 'recorders stopped on an error (STORAGE_FULL, WRITE_FAILED, RECORD_UNSUPPORTED_CODEC)'],
  ['sharpeye_storage_free_bytes', 'gauge', 'node, path', 'free bytes per recording root'],
  ['sharpeye_storage_total_bytes', 'gauge', 'node, path', 'size of each recording root'],
  ['sharpeye_storage_ok', 'gauge', 'node, path', '1 when the root is readable and writable'],
  // images
  ['sharpeye_image_forward_queue_depth', 'gauge', 'target', 'images waiting to be forwarded to each bureau target'],
  ['sharpeye_image_forward_oldest_age_seconds', 'gauge', 'target', 'age of the oldest waiting image'],
  // cascade
  ['sharpeye_upper_platforms_enabled', 'gauge', '', 'enabled upper platforms'],
  ['sharpeye_upper_platforms_registered', 'gauge', '', 'upper platforms we are registered with'],
  // API
  ['sharpeye_api_request_duration_seconds', 'histogram', 'method, route, status', 'REST API request duration by route pattern and status'],
  // alerts
  ['sharpeye_alerts_firing', 'gauge', 'kind', 'alerts firing by rule kind'],
  ['sharpeye_tickets_unresolved', 'gauge', '', 'fault tickets not yet recovered'],
  // nodes (cluster, issue 13; the local node alone in `all` mode)
  ['sharpeye_node_up', 'gauge', 'node, role', '1 while the node reports'],
  ['sharpeye_node_streams', 'gauge', 'node', 'streams on the node'],
  ['sharpeye_node_viewers', 'gauge', 'node', 'viewers on the node'],
  ['sharpeye_node_cpu_ratio', 'gauge', 'node', 'process CPU in cores (0.5 = half a core)'],
  ['sharpeye_node_ingress_kbps', 'gauge', 'node', 'ingress bitrate'],
  ['sharpeye_node_egress_kbps', 'gauge', 'node', 'egress bitrate'],
  ['sharpeye_node_memory_rss_bytes', 'gauge', 'node', 'resident memory'],
  ['sharpeye_node_rtp_ports_free', 'gauge', 'node', 'free RTP receive ports'],
  ['sharpeye_node_disk_free_bytes', 'gauge', 'node, path', 'free bytes per disk the node reports'],
] as const satisfies ReadonlyArray<readonly [string, 'gauge' | 'counter' | 'histogram', string, string]>;

export type SeriesName = (typeof SERIES)[number][0];

export function helpOf(name: SeriesName): string {
  return SERIES.find((s) => s[0] === name)![3];
}
