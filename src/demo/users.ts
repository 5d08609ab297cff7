/** The demo backend's user table: the probe's service account plus the user of `scripts/test_websocket.py`. */

export interface DemoUser {
  id: number;
  username: string;
  email: string;
  password: string;
}

/** The default probe login (matches the bot's config default `serviceAccount.email`). */
export const DEMO_SERVICE_ACCOUNT: Readonly<DemoUser> = Object.freeze({
  email: 'ws-doctor@example.com',
  password: 'demo-probe-password',
  username: 'ws-doctor',
  id: 42,
});

/** A normal user, with the credentials `scripts/test_websocket.py` defaults to (`testuser` / `testpass123`). */
export const DEMO_NORMAL_USER: Readonly<DemoUser> = Object.freeze({
  email: 'testuser@example.com',
  password: 'testpass123',
  username: 'testuser',
  id: 7,
});

export const DEFAULT_DEMO_USERS: readonly DemoUser[] = [DEMO_SERVICE_ACCOUNT, DEMO_NORMAL_USER];

export class UserDirectory {
  readonly all: ReadonlyArray<Readonly<DemoUser>>;

  constructor(users: readonly DemoUser[]) {
    if (users.length === 0) throw new Error('the demo backend needs at least one user');
    const ids = new Set(users.map((u) => u.id));
    if (ids.size !== users.length) throw new Error('demo user ids must be unique');
    this.all = users.map((u) => Object.freeze({ ...u }));
  }

  /** Login field: email (case-insensitive) or username, as the real login view accepts both. */
  byLogin(login: string): Readonly<DemoUser> | undefined {
    const l = login.trim().toLowerCase();
    return this.all.find((u) => u.email.toLowerCase() === l) ?? this.all.find((u) => u.username === login.trim());
  }

  byId(id: number): Readonly<DemoUser> | undefined {
    return this.all.find((u) => u.id === id);
  }

  /** The user the leaked-counter fault targets: the service account if present, else the first user. */
  probeUser(): Readonly<DemoUser> {
    return this.all.find((u) => u.email === DEMO_SERVICE_ACCOUNT.email) ?? (this.all[0] as DemoUser);
  }
}
