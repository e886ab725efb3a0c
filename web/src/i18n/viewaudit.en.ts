/** "Who watched what" and sensitive-channel reasons: merged in index.ts; mirrors viewaudit.zh-CN.ts. */
const viewauditEn = {
  viewAudit: {
    title: 'Who watched what',
    hint: 'Live views, playbacks, downloads, snapshots and time watched per channel and user (from the tamper-evident user log)',
    byChannel: 'By channel',
    byUser: 'By user',
    channelId: 'Channel ID',
    channelName: 'Channel name',
    username: 'User',
    live: 'Live views',
    playback: 'Playbacks',
    download: 'Downloads',
    snapshot: 'Snapshots',
    connections: 'Player connections',
    watched: 'Time watched',
    sensitive: 'Sensitive openings',
    refused: 'Refused/failed',
    first: 'First',
    last: 'Last',
    reasonTitle: 'Sensitive channel',
    reasonPrompt: 'This channel is sensitive: give the reason for opening it (it is written to the audit log)',
    reasonPlaceholder: 'e.g. case or ticket number',
    reasonTooShort: 'Give a reason of at least 2 characters',
  },
};
export default viewauditEn;
