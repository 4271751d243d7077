import type { Envelope, Format, SkillMeta } from '../skill/skill-meta';
import { renderHuman, type HumanOptions } from './render-human';
import { renderJson } from './render-json';
import { renderPrometheus } from './render-prometheus';

/**
 * Renders an envelope in one of the `FORMATS`: `json` (exactly one JSON document),
 * `human` (readable text and tables) or `prometheus` (exposition text). Async because
 * prom-client's registry is; `renderJson` and `renderHuman` are also exported, synchronous.
 *
 * @param meta the skill's metadata; gives Prometheus HELP texts from the output schema.
 * @param human options of the `human` format (colour).
 * @example
 * ```ts
 * process.stdout.write(await renderEnvelope(envelope, argv.format, getSkillMeta(SkillClass)))
 * ```
 */
export async function renderEnvelope(envelope: Envelope, format: Format, meta?: SkillMeta, human: HumanOptions = {}): Promise<string> {
  switch (format) {
    case 'json':
      return renderJson(envelope);
    case 'human':
      return renderHuman(envelope, human);
    case 'prometheus':
      return renderPrometheus(envelope, meta);
    default:
      throw new TypeError(`unknown format "${String(format)}"`);
  }
}
