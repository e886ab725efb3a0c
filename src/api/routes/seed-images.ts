import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../context.js';
import { SEED_KINDS, SEED_OPS, failBody, statusOf, type SeedErrorCode, type SeedKind, type SeedOp } from '../../images/seed-protocol.js';

/**
 * Form fields of a urlencoded body; a repeated name keeps its first value. Hand-rolled over decodeURIComponent:
 * URLSearchParams took ~3 ms per 500 KB capture, a third of the ingest CPU. A malformed escape is a 400 (EC004).
 */
export function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  const dec = (x: string) => (x.includes('+') ? decodeURIComponent(x.replace(/\+/g, ' ')) : x.includes('%') ? decodeURIComponent(x) : x);
  let i = 0;
  while (i <= body.length) {
    let amp = body.indexOf('&', i);
    if (amp < 0) amp = body.length;
    if (amp > i) {
      const eq = body.indexOf('=', i);
      const hasEq = eq >= 0 && eq < amp;
      try {
        const k = dec(body.slice(i, hasEq ? eq : amp));
        if (!(k in out)) out[k] = hasEq ? dec(body.slice(eq + 1, amp)) : '';
      } catch {
        throw Object.assign(new Error('malformed percent-encoding in the form body'), { statusCode: 400 });
      }
    }
    i = amp + 1;
  }
  return out;
}

/** A body of another type (text/plain, none given, ...): JSON when it looks like JSON, else form fields. */
function parseLoose(body: string): Record<string, unknown> {
  const t = body.trim();
  if (t.startsWith('{')) {
    try {
      const j = JSON.parse(t);
      if (j && typeof j === 'object' && !Array.isArray(j)) return j as Record<string, unknown>;
    } catch {
      /* not JSON: read as form fields */
    }
  }
  return t ? parseForm(t) : {};
}

function where(url: string): { kind: SeedKind; op: SeedOp } {
  const m = /^\/redis\/rest\/(face|car)\/([A-Za-z]+)\.json/.exec(url);
  return { kind: (m?.[1] as SeedKind) ?? 'face', op: (m && (SEED_OPS as readonly string[]).includes(m[2]) ? m[2] : 'saveImageData') as SeedOp };
}

function sendSeed(reply: FastifyReply, status: number, headers: Record<string, string>, body: Record<string, unknown>) {
  return reply.code(status).headers(headers).type('application/json;charset=UTF-8').send(JSON.stringify(body));
}

/**
 * The face and vehicle image interfaces of seed appendices 1 and 2, on the HTTP port outside `/api/v1`:
 * `/redis/rest/{face,car}/{authenticate,keepAlive,timing,saveImageData,unregister}.json`. Parameters are read from
 * the query string and from a form (`application/x-www-form-urlencoded` or multipart) or JSON body; every answer,
 * including a body too large or unreadable, is in the seed's own format. The logic is in `images/seed-server.ts`.
 */
export async function seedImageRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const images = deps.images;
  if (!images) return;
  const maxBytes = images.maxBytes;
  // a capture holds several images; base64 is 4/3 of the bytes
  const bodyLimit = Math.ceil((maxBytes * 4) / 3) * 2 + 4 * 2 ** 20;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, parseForm(body as string)));
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, parseLoose(body as string)));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { op } = where(req.url);
    let code: SeedErrorCode = 'EC006';
    let message = 'internal error (服务器内部错误)';
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
      case 'FST_REQ_FILE_TOO_LARGE':
      case 'FST_PARTS_LIMIT':
      case 'FST_FILES_LIMIT':
      case 'FST_FIELDS_LIMIT':
        code = 'EC005';
        message = `request too large (请求过大): ${err.message}`;
        break;
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        code = 'EC004';
        message = `body is not valid JSON (请求体不是合法 JSON): ${err.message}`;
        break;
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
        code = 'EC004';
        message = `unreadable body: ${err.message}`;
        break;
      default:
        if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
          code = 'EC004';
          message = err.message;
        } else req.log.error({ err }, 'seed image interface failed');
    }
    images.ingest.refused(code);
    return sendSeed(reply, statusOf(code), {}, failBody(op, code, message));
  });

  /** Query + body fields, whatever the body's form. */
  async function paramsOf(req: FastifyRequest): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { ...((req.query as Record<string, unknown>) ?? {}) };
    if (req.isMultipart()) {
      for await (const part of req.parts({ limits: { fieldSize: bodyLimit, fileSize: bodyLimit, files: 8, fields: 50 } })) {
        if (part.type === 'file') {
          const buf = await part.toBuffer();
          if (!(part.fieldname in out) || part.fieldname === 'imageJsonData') out[part.fieldname] = buf.toString('utf8');
        } else {
          if (part.valueTruncated) throw Object.assign(new Error(`field ${part.fieldname} is too large`), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
          out[part.fieldname] = part.value;
        }
      }
      return out;
    }
    const body = typeof req.body === 'string' ? parseLoose(req.body) : req.body;
    if (body && typeof body === 'object' && !Array.isArray(body)) Object.assign(out, body);
    return out;
  }

  for (const kind of SEED_KINDS) {
    for (const op of SEED_OPS) {
      app.route({
        method: op === 'timing' ? ['GET', 'POST'] : ['POST', 'GET'],
        url: `/redis/rest/${kind}/${op}.json`,
        bodyLimit,
        schema: {
          tags: ['seed images'],
          summary: `${kind === 'face' ? '人像云平台人脸图片入库接口' : '车辆图片入库接口'} ${op} (seed appendix ${kind === 'face' ? 1 : 2}; seed answer format, not {code,message})`,
        },
        handler: async (req, reply) => {
          const params = await paramsOf(req);
          const auth = req.headers.authorization;
          const a = await images.server.handle({ kind, op, method: req.method, uri: req.url, authorization: typeof auth === 'string' ? auth : undefined, params, remote: req.ip ?? null });
          return sendSeed(reply, a.status, a.headers, a.body);
        },
      });
    }
  }
  app.all('/redis/rest/*', { schema: { hide: true } }, async (req, reply) => sendSeed(reply, 404, {}, { success: false, message: `no such service: ${req.method} ${req.url.split('?')[0]}` }));
}
