// HLS (RFC 8216) for fMP4 segments: playlists and the key-frame segmenter.
export { HlsError, livePlaylist, mediaPlaylist, multivariantPlaylist, withQuery, type HlsSegment, type LivePlaylistOptions, type PlaylistOptions, type Variant } from './playlist.js';
export { Segmenter, type CutSegment, type SegmenterOptions } from './segmenter.js';
