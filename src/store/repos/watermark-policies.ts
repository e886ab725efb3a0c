import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export type WatermarkKind = 'channel' | 'role';

export interface WatermarkPolicy {
  kind: WatermarkKind;
  targetId: string;
  enabled: boolean;
  /** an extra line under user and time (e.g. 内部资料 禁止外传) */
  text: string | null;
  updatedAt: string;
  updatedBy: string | null;
}

/** Download/snapshot watermark policies (issue 8): one row per channel or per role. */
export class WatermarkPolicyRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async get(kind: WatermarkKind, targetId: string): Promise<WatermarkPolicy | undefined> {
    const r = await this.db.selectFrom('watermark_policies').selectAll().where('kind', '=', kind).where('target_id', '=', targetId).executeTakeFirst();
    return r ? toPolicy(r) : undefined;
  }

  /** The enabled policies that apply to a channel and a set of roles. */
  async applicable(channelId: string, roleIds: readonly string[]): Promise<WatermarkPolicy[]> {
    const rows = await this.db
      .selectFrom('watermark_policies')
      .selectAll()
      .where('enabled', '=', 1)
      .where((eb) => eb.or([eb.and([eb('kind', '=', 'channel'), eb('target_id', '=', channelId)]), ...(roleIds.length ? [eb.and([eb('kind', '=', 'role'), eb('target_id', 'in', [...roleIds])])] : [])]))
      .execute();
    return rows.map(toPolicy);
  }

  async list(kind?: WatermarkKind): Promise<WatermarkPolicy[]> {
    let q = this.db.selectFrom('watermark_policies').selectAll();
    if (kind) q = q.where('kind', '=', kind);
    return (await q.orderBy('kind').orderBy('target_id').execute()).map(toPolicy);
  }

  async put(p: Omit<WatermarkPolicy, 'updatedAt'> & { updatedAt: string }): Promise<void> {
    const values = { kind: p.kind, target_id: p.targetId, enabled: p.enabled ? 1 : 0, text: p.text, updated_at: p.updatedAt, updated_by: p.updatedBy };
    await this.db
      .insertInto('watermark_policies')
      .values(values)
      .onConflict((oc) => oc.columns(['kind', 'target_id']).doUpdateSet({ enabled: values.enabled, text: values.text, updated_at: values.updated_at, updated_by: values.updated_by }))
      .execute();
  }

  async delete(kind: WatermarkKind, targetId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('watermark_policies').where('kind', '=', kind).where('target_id', '=', targetId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function toPolicy(r: { kind: string; target_id: string; enabled: number; text: string | null; updated_at: string; updated_by: string | null }): WatermarkPolicy {
  return { kind: r.kind as WatermarkKind, targetId: r.target_id, enabled: Number(r.enabled) === 1, text: r.text, updatedAt: r.updated_at, updatedBy: r.updated_by };
}
