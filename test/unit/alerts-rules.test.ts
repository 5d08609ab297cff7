import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRuleFiles, parseRuleText, formatProblem } from '../../src/alerts/rules/load';
import { allChecks } from '../../src/checks/registry';
import { parsePromDuration, formatDuration } from '../../src/util/prom-duration';
import { renderTemplate } from '../../src/alerts/template';

const checkNames = allChecks.map((c) => c.name);
const opts = { defaultIntervalMs: 15_000, checkNames };
const problems = (yaml: string): string[] => parseRuleText(yaml, 'x.yml', opts).problems.map(formatProblem);

test('Prometheus durations', () => {
  expect(parsePromDuration('1h30m')).toBe(5_400_000);
  expect(parsePromDuration('500ms')).toBe(500);
  expect(parsePromDuration('0')).toBe(0);
  expect(parsePromDuration('5 minutes')).toBeUndefined();
  expect(parsePromDuration('')).toBeUndefined();
  expect(formatDuration(90_000)).toBe('1m30s');
  expect(formatDuration(3_600_000)).toBe('1h');
});

test('the bundled pack loads: every check rule names a real check, depends_on resolves', () => {
  const r = loadRuleFiles([path.resolve(__dirname, '../../rules/allthrive.yml')], opts);
  expect(r.problems).toEqual([]);
  const names = r.rules.map((x) => x.name);
  for (const n of ['DjangoScrapeTargetDown', 'Django5xxRatioHigh', 'RateLimitHitsHigh', 'RedisDown', 'TokenIssuanceFailing', 'HandshakeRejections', 'TokensIssuedNotConsumed', 'CeleryBacklog', 'RedisMemoryHigh', 'ContainerRestartLoop', 'MetricsEndpointMissing']) {
    expect(names).toContain(n);
  }
  const backlog = r.rules.find((x) => x.name === 'CeleryBacklog')!;
  expect(backlog).toMatchObject({ kind: 'check', check: 'celery-queue', failOn: 'warn', signal: 'celery-backlog', failAfter: 3, dependsOn: ['RedisDown'], intervalMs: 30_000 });
  const ratio = r.rules.find((x) => x.name === 'Django5xxRatioHigh')!;
  expect(ratio).toMatchObject({ kind: 'prom', forMs: 300_000, severity: 'critical', remediations: ['restart-backend'] });
});

test('a Prometheus rule file pastes in unchanged (recording rules skipped, keep_firing_for read)', () => {
  const r = parseRuleText(
    `groups:
  - name: example
    interval: 1m
    rules:
      - record: job:http_inprogress_requests:sum
        expr: sum by (job) (http_inprogress_requests)
      - alert: HighRequestLatency
        expr: job:request_latency_seconds:mean5m{job="myjob"} > 0.5
        for: 10m
        keep_firing_for: 5m
        labels:
          severity: page
        annotations:
          summary: High request latency on {{ $labels.instance }}
`,
    'prom.yml',
    opts,
  );
  expect(r.problems).toEqual([]);
  expect(r.skippedRecording).toBe(1);
  expect(r.rules[0]).toMatchObject({ name: 'HighRequestLatency', kind: 'prom', forMs: 600_000, keepFiringForMs: 300_000, intervalMs: 60_000, severity: 'warning' });
});

test('errors name file, rule, path and field', () => {
  expect(problems(`groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5 minutes\n`)).toEqual([
    'x.yml: rule "A" (groups[0].rules[0]) for: expected a Prometheus duration like 30s, 5m or 1h30m',
  ]);
  expect(problems(`groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        severty: critical\n`)[0]).toMatch(/rule "A" \(groups\[0\]\.rules\[0\]\).*unknown field\(s\) "severty"/);
  expect(problems(`groups:\n  - name: g\n    rules:\n      - alert: A\n        check: rediss\n`)[0]).toMatch(/rule "A" .* check: names no check "rediss" \(did you mean "redis"\?\)/);
  expect(problems(`groups:\n  - name: g\n    rules:\n      - alert: A\n`)[0]).toMatch(/rule "A" .* expr: needs `expr` \(PromQL\) or `check`/);
  expect(problems(`groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        fail_after: 3\n`)[0]).toMatch(/fail_after: only check rules/);
  expect(problems(`groups: [ oops`)[0]).toMatch(/^x\.yml: file: not valid YAML/);
});

test('cross-rule problems: unknown depends_on, duplicates, cycles; a broken file yields no rules', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsd-rules-'));
  try {
    const f = path.join(dir, 'r.yml');
    writeFileSync(f, `groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        depends_on: [B]\n      - alert: B\n        expr: up\n        depends_on: [A]\n      - alert: C\n        expr: up\n        depends_on: [RedisDwn]\n      - alert: C\n        expr: up\n`);
    const r = loadRuleFiles([f], opts);
    const text = r.problems.map(formatProblem).join('\n');
    expect(text).toMatch(/rule "C" .* alert: name already used/);
    expect(text).toMatch(/depends_on: names no alert "RedisDwn"/);
    expect(text).toMatch(/depends_on: forms a cycle: A → B → A/);
    expect(r.rules).toEqual([]);
    expect(loadRuleFiles([path.join(dir, 'missing.yml')], opts).problems[0]?.message).toMatch(/cannot read: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('annotation templates: labels, value, humanize; anything else shown as written', () => {
  expect(renderTemplate('{{ $labels.instance }} at {{ $value | humanizePercentage }}', { instance: 'web:8000' }, 0.0734)).toBe('web:8000 at 7.34%');
  expect(renderTemplate('{{ $value | humanize }} hits', {}, 12345)).toBe('12.35k hits');
  expect(renderTemplate('{{ range . }}x{{ end }}', {}, 1)).toBe('{{ range . }}x{{ end }}');
});
