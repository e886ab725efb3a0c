// RTMP (Adobe RTMP spec 1.0): handshake, chunk stream reader/writer, message types, AMF0 commands. No I/O.
export {
  ChunkReader,
  ChunkWriter,
  DEFAULT_CHUNK_SIZE,
  MAX_MESSAGE_LENGTH,
  type ChunkReaderOptions,
  type RtmpMessage,
} from './chunk.js';
export {
  COMMAND_CSID,
  STREAM_CSID,
  commandMessage,
  decodeCommand,
  decodeData,
  encodeCommand,
  onStatusMessage,
  statusInfo,
  type RtmpCommand,
} from './command.js';
export { RtmpProtocolError } from './errors.js';
export { ClientHandshake, echoPacket, HANDSHAKE_SIZE, RTMP_VERSION, ServerHandshake, type HandshakeOptions, type HandshakeStep } from './handshake.js';
export {
  abortMessage,
  acknowledgementMessage,
  BandwidthLimit,
  MessageType,
  parseUserControl,
  PROTOCOL_CSID,
  readControlValue,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  splitAggregate,
  UserControl,
  userControlMessage,
  windowAckSizeMessage,
  type UserControlEvent,
} from './messages.js';
