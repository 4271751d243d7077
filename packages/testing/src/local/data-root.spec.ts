import { fallbackDataRoot } from './data-root';

test('the fallback data root is stable per requested folder and lives in /var/tmp', () => {
  const a = fallbackDataRoot('/root/project/.pgcluster/dev');
  expect(a).toMatch(/^\/var\/tmp\/pgcluster-[0-9a-f]{12}$/);
  expect(fallbackDataRoot('/root/project/.pgcluster/dev/')).toBe(a);
  expect(fallbackDataRoot('/root/other/.pgcluster/dev')).not.toBe(a);
  expect(fallbackDataRoot('/x', '/srv')).toMatch(/^\/srv\/pgcluster-/);
});
