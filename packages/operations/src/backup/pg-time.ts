/**
 * An ISO time in the form recovery_target_time accepts (it rejects the 'T' and 'Z' of ISO 8601).
 * @example pgTime('2026-11-30T11:48:06.192Z') // '2026-11-30 11:48:06.192+00'
 */
export function pgTime(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '+00');
}
