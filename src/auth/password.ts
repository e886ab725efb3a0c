import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { AppError } from '../core/errors.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number }) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  const h = await scrypt(pw, salt, 32, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${h.toString('base64')}`;
}

export async function verifyPassword(pw: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scrypt(pw, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * Password policy (R6, 等保 2.0 identity authentication): at least 8 characters, three of four classes
 * (lower, upper, digit, symbol), not containing the user name.
 */
export function checkPasswordPolicy(pw: string, username: string): void {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(pw)).length;
  if (pw.length < 8) throw new AppError('PASSWORD_POLICY', 'Password must have at least 8 characters (密码至少 8 位)');
  if (pw.length > 128) throw new AppError('PASSWORD_POLICY', 'Password must have at most 128 characters');
  if (classes < 3) throw new AppError('PASSWORD_POLICY', 'Password needs 3 of: lower case, upper case, digit, symbol (密码需包含大写、小写、数字、符号中的三类)');
  if (username && pw.toLowerCase().includes(username.toLowerCase())) {
    throw new AppError('PASSWORD_POLICY', 'Password must not contain the user name (密码不能包含用户名)');
  }
}

/** A policy-conforming random password (first start, resets). */
export function generatePassword(): string {
  const s = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
  return `Se${s}#7`;
}
