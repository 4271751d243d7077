// The baseline of the cold-start benchmark: a bare Node script that connects with `pg`
// to every node of pgcluster.config.json (in the working directory) and runs `select 1`.
'use strict';
const { readFileSync } = require('node:fs');
const { Client } = require('pg');

async function main() {
  const config = JSON.parse(readFileSync('pgcluster.config.json', 'utf8'));
  const results = await Promise.all(
    config.nodes.map(async (node) => {
      const client = new Client({ connectionString: node.url });
      await client.connect();
      try {
        const { rows } = await client.query('select 1 as ok');
        return { name: node.name, ok: rows[0].ok === 1 };
      } finally {
        await client.end();
      }
    }),
  );
  process.stdout.write(JSON.stringify(results) + '\n');
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 2;
});
