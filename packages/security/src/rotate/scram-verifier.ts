import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (what psql's `\password` sends):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. Sending it instead of the password
 * keeps the password out of the server log (log_statement), pg_stat_statements and
 * pg_stat_activity; a verifier cannot be used to log in.
 *
 * @example
 * ```ts
 * await client.query(`ALTER ROLE app PASSWORD ${client.escapeLiteral(scramVerifier(password))}`)
 * ```
 */
export function scramVerifier(password: string, iterations = 4096, salt: Buffer = randomBytes(16)): string {
  // PostgreSQL applies SASLprep; generated passwords are ASCII, for which it is the identity.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * A new random password: 32 characters of base64url (192 bits), safe in URLs and conninfo strings.
 * @example const password = generatePassword()
 */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
