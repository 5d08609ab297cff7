/** Pure parts of the Docker side: compose identity, error classification, procfs parsing. */
import { composeIdentity, parseComposeName } from '../../src/targets/docker-compose';
import { classifyDockerError } from '../../src/targets/docker-errors';
import { containerIdFromCgroup, listenInodes } from '../../src/targets/docker-hostports';

describe('compose identity', () => {
  test('labels first', () => {
    const id = composeIdentity(
      { 'com.docker.compose.project': 'allthriveai', 'com.docker.compose.service': 'celery-beat', 'com.docker.compose.container-number': '1' },
      ['/allthriveai_celery-beat_1'],
      'allthriveai',
    );
    expect(id).toMatchObject({ service: 'celery-beat', identifiedBy: 'label', naming: 'v1', number: 1, oneOff: false });
  });

  test('a container labelled for another project is not claimed by its name', () => {
    expect(
      composeIdentity({ 'com.docker.compose.project': 'other', 'com.docker.compose.service': 'web' }, ['/allthriveai-web-1'], 'allthriveai'),
    ).toBeUndefined();
  });

  test('one-off runs are marked', () => {
    const id = composeIdentity(
      { 'com.docker.compose.project': 'p', 'com.docker.compose.service': 'web', 'com.docker.compose.oneoff': 'True' },
      ['/p-web-run-abc'],
      'p',
    );
    expect(id?.oneOff).toBe(true);
  });

  test.each([
    ['allthriveai_web_1', 'web', 'v1'],
    ['allthriveai-web-1', 'web', 'v2'],
    ['allthriveai_celery-beat_1', 'celery-beat', 'v1'],
    ['allthriveai-celery-beat-2', 'celery-beat', 'v2'],
    ['/allthriveai-redis-1', 'redis', 'v2'],
  ])('name fallback %s → %s (%s)', (name, service, naming) => {
    expect(parseComposeName(name, 'allthriveai')).toMatchObject({ service, naming });
    expect(composeIdentity({}, [name], 'allthriveai')).toMatchObject({ service, naming, identifiedBy: 'name' });
  });

  test('v1 strips non-alphanumerics from the project name', () => {
    expect(parseComposeName('allthriveai_web_1', 'allthrive-ai')).toMatchObject({ service: 'web', naming: 'v1' });
  });

  test.each(['otherproj-web-1', 'allthriveai_web-1', 'allthriveai', 'allthriveai-web'])('no match for %s', (name) => {
    expect(parseComposeName(name, 'allthriveai')).toBeUndefined();
  });
});

describe('classifyDockerError', () => {
  const sock = { socketPath: '/var/run/docker.sock' };
  const tcp = { host: 'docker.internal', port: 2375 };
  test.each([
    ['ENOENT', 'no-socket', /mount .*docker\.sock/],
    ['EACCES', 'permission-denied', /docker group/],
    ['ECONNREFUSED', 'refused', /start the engine|docker\.host/],
    ['ECONNRESET', 'dropped', /still running/],
  ])('%s on the socket → %s with a fix', (code, expected, fix) => {
    const e = classifyDockerError(Object.assign(new Error(`connect ${code}`), { code }), sock);
    expect(e.code).toBe(expected);
    expect(e.fix).toMatch(fix);
    expect(e.unreachable).toBe(true);
  });

  test('TCP refused points at docker.host', () => {
    const e = classifyDockerError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), tcp);
    expect(e.reason).toContain('tcp://docker.internal:2375');
    expect(e.fix).toMatch(/docker\.host/);
  });

  test('abort → timeout', () => {
    const a = new Error('This operation was aborted');
    a.name = 'AbortError';
    expect(classifyDockerError(a, sock).code).toBe('timeout');
  });

  test('HTTP 404 is not "unreachable"', () => {
    const e = classifyDockerError({ statusCode: 404, message: '(HTTP code 404) no such container', json: { message: 'no such container' } }, sock, 'inspect');
    expect(e.code).toBe('not-found');
    expect(e.unreachable).toBe(false);
  });
});

describe('procfs parsing', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:0BB8 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 22222 1 0000000000000000 20 4 30 10 -1',
    '   2: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 33333 1 0000000000000000 100 0 0 10 0',
  ].join('\n');

  test('LISTEN inodes of one port (3000 = 0x0BB8), established sockets ignored', () => {
    expect(listenInodes(tcp, 3000)).toEqual([12345]);
    expect(listenInodes(tcp, 8000)).toEqual([33333]);
    expect(listenInodes(tcp, 9999)).toEqual([]);
  });

  test('container ids from cgroup paths', () => {
    const id = 'a'.repeat(64);
    expect(containerIdFromCgroup(`0::/system.slice/docker-${id}.scope\n`)).toBe(id);
    expect(containerIdFromCgroup(`12:memory:/docker/${id}\n`)).toBe(id);
    expect(containerIdFromCgroup(`0::/libpod_parent/libpod-${id}\n`)).toBe(id);
    expect(containerIdFromCgroup('0::/user.slice/user-1000.slice/session-2.scope\n')).toBeUndefined();
  });
});
