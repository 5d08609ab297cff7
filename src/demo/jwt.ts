/**
 * HS256 JWTs shaped like djangorestframework-simplejwt's (claims `token_type`, `exp`, `iat`, `jti`, `user_id`,
 * plus AllThrive's `session_version`), made with node:crypto only.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const ACCESS_LIFETIME_S = 15 * 60;
export const REFRESH_LIFETIME_S = 7 * 24 * 3600;

export interface JwtClaims {
  token_type: 'access' | 'refresh';
  exp: number;
  iat: number;
  jti: string;
  user_id: number;
  session_version: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class JwtSigner {
  constructor(private readonly secret: Buffer = randomBytes(32)) {}

  sign(userId: number, type: JwtClaims['token_type'], sessionVersion: number, lifetimeS?: number, now = Date.now()): string {
    const iat = Math.floor(now / 1000);
    const claims: JwtClaims = {
      token_type: type,
      exp: iat + (lifetimeS ?? (type === 'access' ? ACCESS_LIFETIME_S : REFRESH_LIFETIME_S)),
      iat,
      jti: randomBytes(16).toString('hex'),
      user_id: userId,
      session_version: sessionVersion,
    };
    const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64(JSON.stringify(claims));
    return `${head}.${body}.${this.mac(`${head}.${body}`)}`;
  }

  /** The claims of a valid, unexpired token of the given type; null otherwise. */
  verify(token: string, type: JwtClaims['token_type'], now = Date.now()): JwtClaims | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [head, body, sig] = parts as [string, string, string];
    const want = Buffer.from(this.mac(`${head}.${body}`));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    try {
      const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
      if (header.alg !== 'HS256') return null;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JwtClaims;
      if (claims.token_type !== type || typeof claims.user_id !== 'number') return null;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return null;
      return claims;
    } catch {
      return null;
    }
  }

  private mac(input: string): string {
    return createHmac('sha256', this.secret).update(input).digest('base64url');
  }
}
