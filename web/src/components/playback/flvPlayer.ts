/**
 * Plays a playback session's WS-FLV in a <video> with mpegts.js (loaded on first use, so the page chunk stays small).
 * Output timestamps of a playback stay at wall pace at every speed, so the player treats it as a live stream; it is
 * video only (audio is sent at 1× only, and an MSE audio track without data would stall the picture).
 */
export interface FlvHandle {
  destroy(): void;
}

export async function attachFlv(video: HTMLVideoElement, url: string, onError: (message: string) => void): Promise<FlvHandle> {
  const mpegts = (await import('mpegts.js')).default;
  if (!mpegts.getFeatureList().mseLivePlayback) throw new Error('this browser cannot play FLV (no Media Source Extensions)');
  mpegts.LoggingControl.applyConfig({ enableAll: false, enableError: true, enableWarn: false, enableInfo: false, enableDebug: false, enableVerbose: false });
  const player = mpegts.createPlayer(
    { type: 'flv', isLive: true, url, hasAudio: false, hasVideo: true },
    { enableStashBuffer: false, autoCleanupSourceBuffer: true, lazyLoad: false, liveBufferLatencyChasing: false },
  );
  player.on(mpegts.Events.ERROR, (type: string, detail: string, info?: { msg?: string }) => onError(`${type}: ${detail}${info?.msg ? ` (${info.msg})` : ''}`));
  player.attachMediaElement(video);
  player.load();
  video.muted = true;
  void video.play()?.catch(() => undefined);
  let destroyed = false;
  return {
    destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        player.pause();
        player.unload();
        player.detachMediaElement();
        player.destroy();
      } catch {
        /* already torn down */
      }
    },
  };
}
