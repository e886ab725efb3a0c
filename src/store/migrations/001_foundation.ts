import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../db.js';

/** Users, roles, scopes, tokens, API keys, orgs, the device/channel archive, logs, settings. */
export function foundation(dialect: Dialect): Migration {
  // Auto-increment ids differ by dialect; everything else is portable.
  const idCol = (t: any) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'serial', (c: any) => c.primaryKey())
      : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'text')
        .addColumn('phone', 'text')
        .addColumn('email', 'text')
        .addColumn('password_changed_at', 'text', (c) => c.notNull())
        .addColumn('last_login_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('roles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('permissions', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('all_channels', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('builtin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_roles')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
        .execute();
      await db.schema
        .createTable('role_scopes')
        .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('role_scopes_pk', ['role_id', 'kind', 'target_id'])
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('tokens_user').on('tokens').column('user_id').execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('last_used_at', 'text')
        .execute();
      await db.schema
        .createTable('orgs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'text', (c) => c.references('orgs.id'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('sort', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('orgs_parent').on('orgs').column('parent_id').execute();
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type_code', 'text', (c) => c.notNull())
        .addColumn('manufacturer', 'text')
        .addColumn('model', 'text')
        .addColumn('firmware', 'text')
        .addColumn('ip', 'text')
        .addColumn('port', 'integer')
        .addColumn('transport', 'text', (c) => c.notNull().defaultTo('udp'))
        .addColumn('password_sealed', 'text')
        .addColumn('online', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('registered_at', 'text')
        .addColumn('last_keepalive_at', 'text')
        .addColumn('install_address', 'text')
        .addColumn('longitude', real)
        .addColumn('latitude', real)
        .addColumn('org_id', 'text', (c) => c.references('orgs.id').onDelete('set null'))
        .addColumn('site_category', 'text')
        .addColumn('owner_unit', 'text')
        .addColumn('contact_person', 'text')
        .addColumn('contact_phone', 'text')
        .addColumn('install_date', 'text')
        .addColumn('capabilities', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('remark', 'text')
        .addColumn('source', 'text', (c) => c.notNull().defaultTo('manual'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('devices_org').on('devices').column('org_id').execute();
      await db.schema.createIndex('devices_online').on('devices').column('online').execute();
      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.references('orgs.id').onDelete('set null'))
        .addColumn('online', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('manufacturer', 'text')
        .addColumn('model', 'text')
        .addColumn('install_address', 'text')
        .addColumn('longitude', real)
        .addColumn('latitude', real)
        .addColumn('site_category', 'text')
        .addColumn('capabilities', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('ptz_type', 'integer')
        .addColumn('source_url', 'text')
        .addColumn('sensitive', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('codec', 'text')
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('fps', real)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('channels_device').on('channels').column('device_id').execute();
      await db.schema.createIndex('channels_org').on('channels').column('org_id').execute();
      await idCol(db.schema.createTable('maintenance_records'))
        .addColumn('device_id', 'text', (c: any) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('date', 'text', (c: any) => c.notNull())
        .addColumn('person', 'text', (c: any) => c.notNull())
        .addColumn('content', 'text', (c: any) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c: any) => c.notNull())
        .execute();
      await db.schema
        .createTable('photos')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('mime', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await idCol(db.schema.createTable('user_logs'))
        .addColumn('at', 'text', (c: any) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('username', 'text')
        .addColumn('action', 'text', (c: any) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('detail', 'text')
        .addColumn('ip', 'text')
        .addColumn('result', 'text', (c: any) => c.notNull())
        .addColumn('prev_hash', 'text', (c: any) => c.notNull())
        .addColumn('hash', 'text', (c: any) => c.notNull())
        .execute();
      await db.schema.createIndex('user_logs_at').on('user_logs').column('at').execute();
      await idCol(db.schema.createTable('device_logs'))
        .addColumn('at', 'text', (c: any) => c.notNull())
        .addColumn('device_id', 'text')
        .addColumn('channel_id', 'text')
        .addColumn('event', 'text', (c: any) => c.notNull())
        .addColumn('level', 'text', (c: any) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('device_logs_at').on('device_logs').column('at').execute();
      await idCol(db.schema.createTable('alarm_logs'))
        .addColumn('at', 'text', (c: any) => c.notNull())
        .addColumn('device_id', 'text')
        .addColumn('channel_id', 'text')
        .addColumn('alarm_type', 'text', (c: any) => c.notNull())
        .addColumn('priority', 'integer')
        .addColumn('method', 'text')
        .addColumn('description', 'text')
        .addColumn('longitude', real)
        .addColumn('latitude', real)
        .addColumn('acked_by', 'text')
        .addColumn('acked_at', 'text')
        .addColumn('ack_comment', 'text')
        .execute();
      await db.schema.createIndex('alarm_logs_at').on('alarm_logs').column('at').execute();
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['settings', 'alarm_logs', 'device_logs', 'user_logs', 'photos', 'maintenance_records', 'channels', 'devices', 'orgs', 'api_keys', 'tokens', 'role_scopes', 'user_roles', 'roles', 'users']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
