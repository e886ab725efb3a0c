/** "Who watched what" and sensitive-channel reasons (docs/security.md): merged in index.ts; viewaudit.en.ts mirrors it. */
const viewauditZhCN = {
  viewAudit: {
    title: '查看记录',
    hint: '每个通道、每个用户的实时浏览、录像回放、下载、抓拍次数与观看时长（来自防篡改的用户日志）',
    byChannel: '按通道',
    byUser: '按用户',
    channelId: '通道编码',
    channelName: '通道名称',
    username: '用户',
    live: '实时浏览',
    playback: '录像回放',
    download: '录像下载',
    snapshot: '抓拍',
    connections: '播放连接',
    watched: '观看时长',
    sensitive: '敏感点位查看',
    refused: '被拒绝/失败',
    first: '首次',
    last: '最近',
    reasonTitle: '敏感点位',
    reasonPrompt: '该通道为敏感点位，请填写查看事由（将记入审计日志）',
    reasonPlaceholder: '例如：案件编号、工单号',
    reasonTooShort: '请填写至少 2 个字的事由',
  },
};
export default viewauditZhCN;
