/**
 * The outbound queue sorts failures by what `@slack/web-api` throws. Those are classes since web-api 8
 * (WebAPIPlatformError, WebAPIHTTPError, WebAPIRateLimitedError, WebAPIRequestError): this test makes a real
 * WebClient, configured as the bot configures it, fail against the Slack stand-in in each way Slack fails, and
 * checks the class the SDK threw and the verdict classifyFailure gives it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { classifyFailure, createTransport } from '../../src/slack/outbound-queue';
import { silentSlackLogger, startSlackStandIn, type SlackStandIn } from '../peers/slack-api';

let slack: SlackStandIn;
let client: InstanceType<typeof webApi.WebClient>;

/** The same options src/slack/app.ts gives its WebClient: the queue, not the SDK, retries. */
function botClient(apiUrl: string, token: string): InstanceType<typeof webApi.WebClient> {
  return new webApi.WebClient(token, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 2000, logger: silentSlackLogger });
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded; a failure was expected');
}

const post = () => client.chat.postMessage({ channel: 'C0OPS', text: 'hello' });

beforeAll(async () => {
  slack = await startSlackStandIn();
  client = botClient(slack.apiUrl, slack.botToken);
});
afterAll(() => slack.close());

test('a Slack error answer (ok:false) is a WebAPIPlatformError; channel_not_found is permanent', async () => {
  const err = await failureOf(client.chat.postMessage({ channel: 'C0NOSUCH', text: 'x' }));
  expect(err).toBeInstanceOf(webApi.WebAPIPlatformError);
  expect(classifyFailure(err)).toEqual({ kind: 'permanent', error: 'channel_not_found' });
});

test('internal_error from Slack is a platform error the queue retries', async () => {
  slack.fail('chat.postMessage', 'internal_error');
  const err = await failureOf(post());
  expect(err).toBeInstanceOf(webApi.WebAPIPlatformError);
  expect(classifyFailure(err)).toEqual({ kind: 'transient', error: 'internal_error' });
});

test('HTTP 429 with Retry-After is a WebAPIRateLimitedError carrying the wait', async () => {
  slack.rateLimit('chat.postMessage', 7);
  const err = await failureOf(post());
  expect(err).toBeInstanceOf(webApi.WebAPIRateLimitedError);
  expect(classifyFailure(err)).toEqual({ kind: 'rate_limited', retryAfterMs: 7000, error: 'ratelimited' });
});

test('HTTP 503 is a WebAPIHTTPError and transient; HTTP 404 is permanent', async () => {
  slack.fail('chat.postMessage', 503);
  const e503 = await failureOf(post());
  expect(e503).toBeInstanceOf(webApi.WebAPIHTTPError);
  expect(classifyFailure(e503)).toEqual({ kind: 'transient', error: 'http_503' });

  slack.fail('chat.postMessage', 404);
  const e404 = await failureOf(post());
  expect(e404).toBeInstanceOf(webApi.WebAPIHTTPError);
  expect(classifyFailure(e404).kind).toBe('permanent');
});

test('Slack unreachable (connection refused) is a WebAPIRequestError and transient', async () => {
  // A port that was just free: nothing listens there any more.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const err = await failureOf(botClient(`http://127.0.0.1:${port}/api/`, slack.botToken).chat.postMessage({ channel: 'C0OPS', text: 'x' }));
  expect(err).toBeInstanceOf(webApi.WebAPIRequestError);
  expect(classifyFailure(err)).toEqual({ kind: 'transient', error: 'request_error' });
});

test('the production transport surfaces the same classes through apiCall', async () => {
  const transport = createTransport(client);
  slack.fail('chat.postMessage', 'not_in_channel');
  const err = await failureOf(transport.api('chat.postMessage', { channel: 'C0OPS', text: 'x' }));
  expect(err).toBeInstanceOf(webApi.WebAPIPlatformError);
  expect(classifyFailure(err)).toEqual({ kind: 'permanent', error: 'not_in_channel' });
  // And a call that works still resolves with Slack's answer.
  const ok = (await transport.api('chat.postMessage', { channel: 'C0OPS', text: 'fine' })) as { ok: boolean; ts?: string };
  expect(ok.ok).toBe(true);
  expect(typeof ok.ts).toBe('string');
});
