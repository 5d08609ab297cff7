/**
 * The connection-token service (`core/agents/ws_connection_tokens.py`, target-system §2.2, §12):
 * `secrets.token_urlsafe(32)` tokens stored in the Django cache at `allthrive:1:ws_conn_token:<token>` as a
 * pickled dict with TTL 60 s; validation is GET then DEL (single use, the `used` flag is never set).
 */
import { randomBytes } from 'node:crypto';
import type { FaultSwitches } from './faults';
import type { DemoLogger } from './logs';
import { dumps, loads, PyFloat } from './pickle';
import type { DemoStore } from './store';

export const TOKEN_TTL_S = 60;

export interface TokenOwner {
  userId: number;
  username: string;
  connectionId?: string;
}

export class TokenGenerationError extends Error {}

export class ConnectionTokenService {
  /** Serialises validations of the same token in this process (the observed one-winner behaviour, §12). */
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: DemoStore,
    private readonly faults: FaultSwitches,
    private readonly log: DemoLogger,
  ) {}

  static tokenKey(token: string): string {
    return `ws_conn_token:${token}`;
  }

  /** Generate and store a token. Throws (→ 500 TOKEN_GENERATION_ERROR) when the service or the cache fails. */
  async generate(owner: Required<TokenOwner>): Promise<string> {
    if (this.faults.isOn('token-500')) {
      throw new TokenGenerationError('Token service unavailable: failed to generate secure token');
    }
    const token = randomBytes(32).toString('base64url');
    const value = dumps({
      user_id: owner.userId,
      username: owner.username,
      connection_id: owner.connectionId,
      created_at: new PyFloat(Date.now() / 1000),
      used: false,
    });
    const key = this.store.key(ConnectionTokenService.tokenKey(token));
    if (this.faults.isOn('token-expired')) {
      // Gone before the client can use (or even look up) it: wait out the 1 ms TTL before answering.
      await this.store.cache((r) => r.set(key, value, 'PX', 1));
      await new Promise((r) => setTimeout(r, 3));
    } else await this.store.cache((r) => r.set(key, value, 'EX', this.ttlSeconds()));
    this.log.info(
      `[WS_TOKEN] Generated connection token: user=${owner.username} (id=${owner.userId}), connection_id=${owner.connectionId}, ttl=${this.ttlSeconds()}s`,
    );
    return token;
  }

  /** CONNECTION_TOKEN_TTL: 60, or 1 under `token-ttl-short` (the endpoint keeps advertising 60). */
  private ttlSeconds(): number {
    return this.faults.isOn('token-ttl-short') ? 1 : TOKEN_TTL_S;
  }

  /**
   * Validate and consume. Returns the owner, or null for an empty/unknown/expired token. Cache errors
   * propagate (the middleware logs them as `Unexpected error validating connection token`).
   */
  async validate(token: string): Promise<TokenOwner | null> {
    const prev = this.inflight.get(token) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.validateOnce(token));
    this.inflight.set(token, run);
    try {
      return await run;
    } finally {
      if (this.inflight.get(token) === run) this.inflight.delete(token);
    }
  }

  private async validateOnce(token: string): Promise<TokenOwner | null> {
    if (!token) {
      this.log.warning('[WS_TOKEN] Empty token provided');
      return null;
    }
    const key = this.store.key(ConnectionTokenService.tokenKey(token));
    const raw = await this.store.cache((r) => r.getBuffer(key));
    if (!raw) {
      this.log.warning(`[WS_TOKEN] Invalid or expired token: ${token.slice(0, 8)}...`);
      return null;
    }
    let data: Record<string, unknown>;
    try {
      data = loads(raw) as Record<string, unknown>;
    } catch {
      this.log.warning(`[WS_TOKEN] Invalid or expired token: ${token.slice(0, 8)}...`);
      return null;
    }
    if (data.used === true) {
      this.log.error(
        `[WS_TOKEN] Attempted reuse of connection token: user=${String(data.username)} (id=${String(data.user_id)}), token=${token.slice(0, 8)}... [SECURITY]`,
      );
      return null;
    }
    if (!this.faults.isOn('token-reuse-allowed')) await this.store.cache((r) => r.del(key));
    const created = typeof data.created_at === 'number' ? data.created_at : Date.now() / 1000;
    const age = Math.max(0, Date.now() / 1000 - created);
    this.log.info(
      `[WS_TOKEN] Successfully consumed connection token: user=${String(data.username)} (id=${String(data.user_id)}), ` +
        `connection_id=${String(data.connection_id)}, age=${age.toFixed(2)}s`,
    );
    return {
      userId: Number(data.user_id),
      username: String(data.username),
      ...(typeof data.connection_id === 'string' ? { connectionId: data.connection_id } : {}),
    };
  }
}
