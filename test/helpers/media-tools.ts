import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const HAVE_FFMPEG = spawnSync('ffprobe', ['-version']).status === 0 && spawnSync('ffmpeg', ['-version']).status === 0;

/** A test clip made by ffmpeg once per machine (cached in the temp dir): real encoder bytes, no fixtures to commit. */
export async function testClip(name: 'h264-1080p' | 'h265-360p' | 'h264-360p'): Promise<string> {
  const dir = path.join(tmpdir(), 'sharpeye-media-clips');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.mp4`);
  if (existsSync(file)) return file;
  const tmp = `${file}.part.mp4`;
  const common = ['-v', 'error', '-y', '-f', 'lavfi'];
  if (name === 'h264-1080p') {
    await run('ffmpeg', [...common, '-i', 'testsrc2=size=1920x1080:rate=25', '-t', '8', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '2M', '-g', '50', '-bf', '0', '-pix_fmt', 'yuv420p', tmp]);
  } else if (name === 'h264-360p') {
    await run('ffmpeg', [...common, '-i', 'testsrc2=size=640x360:rate=25', '-t', '8', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p', tmp]);
  } else {
    await run('ffmpeg', [...common, '-i', 'testsrc2=size=640x360:rate=25', '-t', '8', '-c:v', 'libx265', '-x265-params', 'log-level=error', '-g', '25', '-bf', '0', tmp]);
  }
  const { renameSync } = await import('node:fs');
  renameSync(tmp, file);
  return file;
}

export interface ProbedStream {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  nb_read_frames?: string;
}

/** ffprobe of a URL or file: streams with counted frames over the first `seconds` (when given). */
export async function probe(input: string, opts: { seconds?: number; args?: string[] } = {}): Promise<ProbedStream[]> {
  const args = ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', ...(opts.args ?? [])];
  if (opts.seconds) args.push('-read_intervals', `%+${opts.seconds}`);
  args.push(input);
  const { stdout } = await run('ffprobe', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return (JSON.parse(stdout) as { streams: ProbedStream[] }).streams;
}

export function video(streams: ProbedStream[]): ProbedStream {
  const v = streams.find((s) => s.codec_type === 'video');
  if (!v) throw new Error(`no video stream in ${JSON.stringify(streams)}`);
  return v;
}
