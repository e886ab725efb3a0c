import type { MediaNode, MediaNodeEvents } from '../media/node.js';

/** Every MediaNode call a remote node answers: checked at compile time to cover the whole interface. */
export const MEDIA_METHODS = [
  'openReceive', 'confirmReceive', 'stopReceive', 'closeStream', 'waitLive', 'touch', 'stream', 'streams', 'openPull',
  'snapshot', 'snapshots', 'openRendition', 'startRecording', 'triggerRecording', 'stopRecording', 'recordingList',
  'storage', 'deleteSegments', 'checkSegment', 'repairSegment', 'segmentFiles', 'objectStorage', 'uploadSegment',
  'deleteObjects', 'checkObject', 'openPlayback', 'controlPlayback', 'playbackState', 'setPlaybackScale', 'retime',
  'startCapture', 'captureState', 'finishCapture', 'dropCapture', 'removeCaptureFile', 'openSend', 'startSend',
  'stopSend', 'sends', 'revoke',
] as const satisfies readonly MediaMethod[];

export type MediaMethod = Exclude<keyof MediaNode, 'id' | 'on'>;
// a method added to MediaNode but not here fails to compile
const covered: Exclude<MediaMethod, (typeof MEDIA_METHODS)[number]> extends never ? true : never = true;
void covered;

export const MEDIA_EVENTS = ['segment', 'record.error', 'playback.ended', 'source.state', 'idle', 'stalled', 'params', 'reader.open', 'reader.close', 'send.ended'] as const satisfies readonly (keyof MediaNodeEvents)[];
const coveredEvents: Exclude<keyof MediaNodeEvents, (typeof MEDIA_EVENTS)[number]> extends never ? true : never = true;
void coveredEvents;

/** How long a caller waits for a remote answer: long work (uploads, captures, snapshots) gets more time. */
export function rpcTimeoutMs(method: MediaMethod, args: unknown[]): number {
  switch (method) {
    case 'waitLive':
      return Number(args[1] ?? 10_000) + 3_000;
    case 'snapshot':
      return 30_000;
    case 'snapshots': {
      const o = args[1] as { count?: number; intervalMs?: number } | undefined;
      return 30_000 + (o?.count ?? 1) * (o?.intervalMs ?? 0);
    }
    case 'uploadSegment':
    case 'finishCapture':
    case 'repairSegment':
    case 'checkSegment':
    case 'segmentFiles':
      return 600_000;
    case 'openRendition':
    case 'startSend':
    case 'openPlayback':
      return 30_000;
    default:
      return 10_000;
  }
}
