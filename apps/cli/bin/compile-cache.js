// A V8 code cache for the CLI's modules: a cold `pgcluster <skill>` spends much of its start
// compiling JavaScript (zod, yargs, pg, our packages). Node 22.1+ does this itself
// (module.enableCompileCache); on Node 20 each CommonJS module is compiled through vm.Script
// with the code V8 produced for the same file last time, kept per user under the temp dir.
'use strict';
const Module = require('node:module');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

/**
 * @param {{ file: string, variant: string }} [keyed] one file whose cache is kept per `variant`: the
 *   one-file bundle is every command at once, and V8 caches only the functions a run compiled, so
 *   each command (`cluster-status`, `skills`, …) keeps the code of its own run.
 */
function enable(keyed) {
  const dir = join(tmpdir(), `pgcluster-compile-cache-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(dir);
    return;
  }
  const versionDir = join(dir, process.version);
  // Security: compiled code is read from this folder, so it must be ours and writable by no one else.
  try {
    mkdirSync(versionDir, { recursive: true, mode: 0o700 });
    const own = statSync(dir);
    if ((typeof process.getuid === 'function' && own.uid !== process.getuid()) || (own.mode & 0o022) !== 0) return;
  } catch {
    return;
  }
  const compile = Module.prototype._compile;
  /** Scripts whose code V8 had no cache for: written when the process exits. */
  const fresh = [];
  Module.prototype._compile = function (content, filename) {
    // vm.Script on Node 20 cannot serve import(): such modules compile the usual way.
    if (content.includes('import(')) return compile.call(this, content, filename);
    const file = join(versionDir, cacheKey(filename, content, keyed));
    let cachedData;
    try {
      cachedData = readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    let script;
    try {
      script = new vm.Script(Module.wrap(content), { filename, cachedData });
    } catch {
      return compile.call(this, content, filename);
    }
    if (cachedData === undefined || script.cachedDataRejected) fresh.push({ file, script });
    const mod = this;
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return script.runInThisContext({ displayErrors: true }).call(mod.exports, mod.exports, require, mod, filename, dirname(filename));
  };
  process.once('exit', () => {
    try {
      for (const { file, script } of fresh) {
        const temp = `${file}.${process.pid}`;
        writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        renameSync(temp, file);
      }
    } catch {
      // A cache that cannot be written only costs speed.
    }
  });
}

/**
 * The cache file's name: a hash of the module's path and content; for the keyed file (the 3 MB
 * bundle, whose hashing would cost more than it saves) of its path, size, mtime and variant.
 */
function cacheKey(filename, content, keyed) {
  const hash = createHash('sha1').update(filename).update('\0');
  if (keyed === undefined || filename !== keyed.file) return hash.update(content).digest('hex');
  const { size, mtimeMs } = statSync(filename);
  return hash.update(`${size}\0${mtimeMs}\0${keyed.variant}`).digest('hex');
}

module.exports = { enable };
