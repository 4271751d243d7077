/**
 * Child process of the vector benchmark: streams one vector file into a collection with
 * insertVectors and prints { rows, rowsPerSecond, peakRssMb } as JSON. Run alone so its peak
 * RSS is the insert's, not the benchmark's.
 * Usage: tsx insert-file-child.ts <url> <collection> <file>
 */
import { insertVectors, openVectorDb, readVectorFile } from '@pgcluster/vector';

async function main(): Promise<void> {
  const [url, collection, file] = process.argv.slice(2) as [string, string, string];
  const db = await openVectorDb({ primaryUrl: url, poolSize: 2 });
  const samples: number[] = [];
  const r = await insertVectors(db, collection, readVectorFile(file), {
    onConflict: 'error',
    progressEvery: 50_000,
    onProgress: () => samples.push(process.memoryUsage().rss / 1048576),
  });
  await db.close();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ rows: r.rows, rowsPerSecond: r.rowsPerSecond, peakRssMb, rssSamplesMb: samples.map((x) => Math.round(x)) }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
});
