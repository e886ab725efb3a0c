import type { FastifyReply } from 'fastify';
import type { TableFormat } from '../../lib/table/spreadsheet.js';

const MIME: Record<TableFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Sends a generated file as a download; the name may be Chinese (RFC 6266 `filename*`). */
export function sendFile(reply: FastifyReply, body: Buffer, baseName: string, format: TableFormat): FastifyReply {
  const name = `${baseName}.${format}`;
  return reply
    .header('content-type', MIME[format])
    .header('content-disposition', `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`)
    .send(body);
}

export function stamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/[-:T]/g, '');
}
