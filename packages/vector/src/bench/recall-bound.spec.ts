import { recallLowerBound } from './recall-bound';

describe('recallLowerBound', () => {
  test('matches the Student-t bound on a known sample', () => {
    // mean 0.94, s = 0.0894, n = 5, t(0.95, 4) = 2.1318: 0.94 − 2.1318 · 0.0894 / √5 = 0.8547
    expect(recallLowerBound([1, 0.9, 1, 0.8, 1], 10, 0.95)).toBeCloseTo(0.855, 2);
  });

  test('tightens as the sample grows and never exceeds the mean', () => {
    const sample = (n: number) => Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 0.7 : 1));
    const small = recallLowerBound(sample(30), 10);
    const large = recallLowerBound(sample(300), 10);
    expect(small).toBeLessThan(large);
    expect(large).toBeLessThan(0.97);
    expect(large).toBeGreaterThan(0.955);
  });

  test('perfect samples are bounded by the Wilson score of n·k found out of n·k', () => {
    expect(recallLowerBound(new Array(30).fill(1), 10)).toBeCloseTo(300 / (300 + 1.6449 ** 2), 3);
    expect(recallLowerBound([1], 1)).toBeLessThan(0.3);
    expect(recallLowerBound([], 10)).toBe(0);
  });

  test('refuses a meaningless confidence', () => {
    expect(() => recallLowerBound([1], 10, 1)).toThrow(RangeError);
  });
});
