// Types for an untyped test dependency; apps/cli's spec config includes this file too.
declare module 'parse-prometheus-text-format' {
  interface Sample {
    value: string;
    labels?: Record<string, string>;
  }
  interface Family {
    name: string;
    help: string;
    type: 'GAUGE' | 'COUNTER' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
    metrics: Sample[];
  }
  /** Parses Prometheus exposition text; throws InvalidLineError on a malformed line. */
  export default function parsePrometheusTextFormat(text: string): Family[];
}
