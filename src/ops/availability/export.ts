import ExcelJS from 'exceljs';
import type { ChannelScope } from '../../store/scope.js';
import type { AvailabilityService } from './availability-service.js';
import type { AvailabilityRow } from './availability-store.js';

/** Rows per sheet at most (Excel's limit is 1,048,576; a report beyond this is better narrowed by date). */
const MAX_ROWS = 200_000;

const pct = (x: number) => Math.round(x * 10_000) / 100;
const hours = (ms: number) => Math.round(ms / 36_000) / 100;

/**
 * Availability as an Excel workbook (R15 导出): one sheet per level (org, device, channel), worst first, and the
 * channel × day detail. Percentages are numbers (Excel can chart them), durations in hours.
 */
export async function availabilityWorkbook(svc: AvailabilityService, from: string, to: string, scope: ChannelScope): Promise<Buffer> {
  await svc.settle();
  const wb = new ExcelJS.Workbook();
  wb.creator = 'sharpeye';
  const target = svc.settings.targetPercent;
  const head = ['完好率 % (availability)', '在线率 % (online)', '观测时长 h (observed)', '在线时长 h (online)', '有视频时长 h (video)', '探测成功 (probes ok)', '探测失败 (probes failed)', `低于目标 ${target}% (below target)`];
  const figures = (r: AvailabilityRow) => [pct(r.availability), pct(r.onlineRate), hours(r.observedMs), hours(r.onlineMs), hours(r.videoMs), r.probesOk, r.probesFailed, r.availability * 100 < target ? '是' : '否'];
  const all = async (level: 'org' | 'device' | 'channel') => {
    const out: AvailabilityRow[] = [];
    for (let page = 1; out.length < MAX_ROWS; page++) {
      const p = await svc.repo.report(level, from, to, scope, { page, pageSize: 1000 });
      out.push(...p.items);
      if (p.items.length < 1000) break;
    }
    return out;
  };
  const sheet = (name: string, headers: string[], rows: Array<Array<string | number | null>>) => {
    const ws = wb.addWorksheet(name);
    ws.addRow([`${from} — ${to}`, `SHARPEYE_TZ ${svc.tz}`]).font = { italic: true };
    ws.addRow(headers).font = { bold: true };
    for (const r of rows) ws.addRow(r);
    ws.columns.forEach((c, i) => (c.width = Math.min(40, Math.max(10, String(headers[i] ?? '').length + 2))));
    ws.views = [{ state: 'frozen', ySplit: 2 }];
  };
  sheet('按机构 By org', ['机构 ID (org)', '机构名称 (name)', '通道数 (channels)', ...head], (await all('org')).map((r) => [r.id ?? '(未分配)', r.name, r.channels, ...figures(r)]));
  sheet('按设备 By device', ['设备 ID (device)', '设备名称 (name)', '机构 (org)', '通道数 (channels)', ...head], (await all('device')).map((r) => [r.id, r.name, r.orgId ?? null, r.channels, ...figures(r)]));
  sheet('按通道 By channel', ['通道 ID (channel)', '通道名称 (name)', '设备 (device)', '机构 (org)', ...head], (await all('channel')).map((r) => [r.id, r.name, r.deviceId ?? null, r.orgId ?? null, ...figures(r)]));
  const days = await svc.repo.channelDays(from, to, scope, MAX_ROWS);
  sheet(
    '按日明细 Daily',
    ['日期 (day)', '通道 ID (channel)', '通道名称 (name)', '设备 (device)', '机构 (org)', '完好率 % (availability)', '在线率 % (online)', '观测时长 h (observed)', '探测成功 (probes ok)', '探测失败 (probes failed)'],
    days.map((r) => [r.day, r.channelId, r.channelName, r.deviceId, r.orgName ?? r.orgId, r.observedMs ? pct(r.videoMs / r.observedMs) : null, r.observedMs ? pct(r.onlineMs / r.observedMs) : null, hours(r.observedMs), r.probesOk, r.probesFailed]),
  );
  return Buffer.from(await wb.xlsx.writeBuffer());
}
