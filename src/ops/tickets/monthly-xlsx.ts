import ExcelJS from 'exceljs';
import { formatLocalDateTime } from '../../core/time.js';
import type { MonthlyReport } from './fault-tickets.js';

const STATE_ZH: Record<string, string> = { open: '待响应', responded: '处理中', recovered: '已恢复' };

/** The monthly fault-ticket report as a workbook: a summary sheet (汇总) and every ticket (工单明细), local times. */
export async function monthlyReportXlsx(r: MonthlyReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'sharpeye';
  const local = (iso: string | null) => (iso ? formatLocalDateTime(new Date(iso), r.tz) : '');
  const sum = wb.addWorksheet('汇总');
  sum.columns = [{ width: 28 }, { width: 18 }];
  const rows: Array<[string, string | number | null]> = [
    ['月份 Month', r.month],
    ['工单数 Opened', r.opened],
    ['告警触发 From alerts', r.bySource.alert],
    ['人工创建 Manual', r.bySource.manual],
    ['未恢复 Still open', r.stillOpen],
    ['响应时限 (分钟) Response limit', r.limits.responseMinutes],
    ['已响应 Responded', r.response.count],
    ['响应中位数 (分钟) Median response', r.response.medianMinutes],
    ['响应最长 (分钟) Max response', r.response.maxMinutes],
    ['响应超时 Response breaches', r.response.breaches],
    ['恢复时限 (分钟) Recovery limit', r.limits.recoveryMinutes],
    ['已恢复 Recovered', r.recovery.count],
    ['恢复中位数 (分钟) Median recovery', r.recovery.medianMinutes],
    ['恢复最长 (分钟) Max recovery', r.recovery.maxMinutes],
    ['恢复超时 Recovery breaches', r.recovery.breaches],
  ];
  for (const [k, v] of rows) sum.addRow([k, v ?? '']);
  for (const [kind, n] of Object.entries(r.byKind)) sum.addRow([`类型 ${kind}`, n]);
  const list = wb.addWorksheet('工单明细');
  list.addRow(['编号', '标题', '来源', '类型', '状态', '创建时间', '响应时间', '响应人', '响应 (分钟)', '响应超时', '恢复时间', '恢复人', '恢复 (分钟)', '恢复超时']).font = { bold: true };
  for (const t of r.tickets) {
    list.addRow([t.id, t.title, t.source === 'alert' ? '告警' : '人工', t.kind ?? '', STATE_ZH[t.state] ?? t.state, local(t.openedAt), local(t.respondedAt), t.respondedBy ?? '', t.responseMinutes ?? '', t.responseBreached ? '是' : '否', local(t.recoveredAt), t.recoveredBy ?? '', t.recoveryMinutes ?? '', t.recoveryBreached ? '是' : '否']);
  }
  list.columns.forEach((c, i) => (c.width = i === 1 ? 40 : 16));
  list.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}
