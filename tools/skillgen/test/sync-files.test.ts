import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate, runSkillgen, syncFiles } from '../src';
import { loadFixturePackage, makeWorkspace } from './helpers/workspace';

describe('syncFiles and skillgen --check', () => {
  it('writes, reports nothing stale, then catches edits, missing and obsolete files', () => {
    const { root, cleanup } = makeWorkspace({}, { copyFixture: true });
    try {
      const { files } = generate({ root, loadPackage: loadFixturePackage });
      expect(syncFiles(root, files, { check: true }).changed).toHaveLength(files.size);
      syncFiles(root, files);
      expect(syncFiles(root, files, { check: true })).toEqual({ changed: [], removed: [] });

      const md = join(root, 'skills/vector/vector-echo/SKILL.md');
      writeFileSync(md, `${readFileSync(md, 'utf8')}edited\n`);
      mkdirSync(join(root, 'skills/vector/vector-gone'), { recursive: true });
      writeFileSync(join(root, 'skills/vector/vector-gone/SKILL.md'), 'old');
      expect(syncFiles(root, files, { check: true })).toEqual({
        changed: ['skills/vector/vector-echo/SKILL.md'],
        removed: ['skills/vector/vector-gone/SKILL.md'],
      });
      syncFiles(root, files);
      expect(existsSync(join(root, 'skills/vector/vector-gone'))).toBe(false);
      expect(syncFiles(root, files, { check: true })).toEqual({ changed: [], removed: [] });
    } finally {
      cleanup();
    }
  });

  it('runSkillgen: generate, then --check passes, and fails (exit 1) on a stale file', () => {
    const { root, cleanup } = makeWorkspace({}, { copyFixture: true });
    const messages: string[] = [];
    const io = { stderr: (t: string) => void messages.push(t), cwd: root };
    try {
      expect(runSkillgen(['--root', root], io, { loadPackage: loadFixturePackage })).toBe(0);
      expect(runSkillgen(['--check', '--root', root], io, { loadPackage: loadFixturePackage })).toBe(0);
      writeFileSync(join(root, 'CAPABILITIES.md'), 'stale');
      messages.length = 0;
      expect(runSkillgen(['--check', '--root', root], io, { loadPackage: loadFixturePackage })).toBe(1);
      expect(messages.join('')).toContain('stale: CAPABILITIES.md');
      expect(messages.join('')).toContain('Run `pnpm skillgen`');
      expect(runSkillgen(['--bogus'], io)).toBe(2);
    } finally {
      cleanup();
    }
  });

  it('refuses an unbuilt package with a message telling how to build', () => {
    const { root, cleanup } = makeWorkspace({}, { copyFixture: true });
    const messages: string[] = [];
    try {
      expect(runSkillgen(['--root', root], { stderr: (t) => void messages.push(t), cwd: root })).toBe(2);
      expect(messages.join('')).toMatch(/@fixture\/operations is not built: packages\/operations\/dist\/index\.js is missing\nhint: Run `pnpm skillgen`/);
    } finally {
      cleanup();
    }
  });
});
