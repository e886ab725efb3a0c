import { open } from 'node:fs/promises';
import type { SegmentFile } from './types.js';

/**
 * What segment reading needs of a file: its size and reads at a position. A local FileHandle is one; an S3 object
 * read by byte ranges (object-store.ts) is another, so playback and download read uploaded segments unchanged.
 */
export interface RandomAccess {
  stat(): Promise<{ size: number }>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Opens a segment for reading: the local file, or where the media node keeps it (S3). */
export type SegmentOpener = (segment: SegmentFile) => Promise<RandomAccess>;

export const openLocal: SegmentOpener = (segment) => open(segment.path, 'r');
