import { evaluateWhen, parseWhen, whenSteps, WhenSyntaxError, type WhenStepResult } from './when-expression';

const steps: Record<string, WhenStepResult> = {
  health: {
    ok: true,
    status: 'degraded',
    data: { findings: [{ check: 'dead_tuples', severity: 'warning', value: 120 }, { check: 'cache_hit', severity: 'info', value: 0.99 }], counts: { critical: 0 } },
  },
  status: { ok: true, status: 'healthy', data: { cluster: { up: 3, replicas: ['node2', 'node3'] } } },
  backup: { ok: false, status: 'error' },
};

describe('workflow conditions (when)', () => {
  it.each([
    ['steps.health.data.findings[check=dead_tuples]', true],
    ['steps.health.data.findings[check=bloat]', false],
    ['steps.health.data.findings[check=dead_tuples].value > 100', true],
    ['steps.health.data.findings[check="dead_tuples"].value >= 121', false],
    ['steps.health.data.findings[severity != info]', true],
    ['steps.status.status = healthy', true],
    ['steps.status.status != healthy', false],
    ['steps.status.data.cluster.up = 3', true],
    ['steps.status.data.cluster.replicas', true],
    ['steps.health.data.counts.critical', false],
    ['steps.backup.ok', false],
    ['not steps.backup.ok', true],
    ['steps.backup.ok or steps.status.ok', true],
    ['steps.backup.ok or (steps.status.ok and steps.health.status = degraded)', true],
    ['steps.missing.ok', false],
    ['not steps.missing.ok', true],
    ['steps.health.data.constructor', false],
    ['steps.health.data.findings.length', false],
  ])('%s → %s', (text, expected) => {
    expect(evaluateWhen(parseWhen(text), steps)).toBe(expected);
  });

  it('lists the steps a condition reads', () => {
    expect(whenSteps(parseWhen('steps.a.ok and (steps.b.status = ok or not steps.a.data.x)'))).toEqual(['a', 'b']);
  });

  it.each([
    ['steps.health.data.findings[check=dead_tuples', 'expected `]`'],
    ['health.ok', 'expected `steps.<step>`'],
    ['steps.health.output', 'a step exposes ok, status, data, alerts, recommendations'],
    ['steps.health.ok and', 'expected `steps.<step>` or `not` or `(`'],
    ['steps.health.ok; process.exit()', 'expected `and`, `or` or the end'],
    ["steps.health.status = 'open", "expected a closing '"],
  ])('refuses %j naming what it expected', (text, message) => {
    expect(() => parseWhen(text)).toThrow(WhenSyntaxError);
    expect(() => parseWhen(text)).toThrow(message);
  });
});
