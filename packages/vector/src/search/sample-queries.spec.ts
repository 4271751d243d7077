import { seededRandom } from '../data/seeded-random';
import { drawFromNeighbourhood } from './sample-queries';

describe('drawFromNeighbourhood', () => {
  test('draws with the points’ mean and covariance', () => {
    // Points at x = ±1, y = 5: mean (0, 5); sample variance along x (1 + 1) / (n − 1) = 2, none along y.
    const points = [
      [-1, 5],
      [1, 5],
    ];
    const rng = seededRandom(11);
    const xs: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const q = drawFromNeighbourhood(points, rng);
      expect(q[1]).toBeCloseTo(5, 10);
      xs.push(q[0]!);
    }
    const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(variance).toBeGreaterThan(1.8);
    expect(variance).toBeLessThan(2.2);
  });

  test('is reproducible for a seed; one point draws itself', () => {
    const points = [
      [1, 0, 0],
      [0.9, 0.1, 0],
      [1, -0.2, 0.1],
    ];
    expect(drawFromNeighbourhood(points, seededRandom(3))).toEqual(drawFromNeighbourhood(points, seededRandom(3)));
    expect(drawFromNeighbourhood([[1, 2]], seededRandom(3))).toEqual([1, 2]);
  });
});
