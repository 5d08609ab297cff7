/**
 * The URL to hand ioredis when the password comes from config or the environment, not from the URL.
 *
 * ioredis reads `redis://user@host` as user "user" with password "" and lets the URL win over the options
 * object, so `new Redis('redis://doctor@host', { password })` sends `AUTH doctor ""` and an ACL user gets
 * WRONGPASS. Putting the configured password into the URL itself makes it the one sent, and makes an explicit
 * setting win over a password already in the URL.
 */
export function redisUrlWithPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  if (!u.username) return url; // no ACL user: the options object's password is sent as it is
  u.password = encodeURIComponent(password);
  return u.toString();
}
