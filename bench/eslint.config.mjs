import base from '../eslint.config.mjs';

// Benchmarks are programs whose output is their report.
export default [...base, { rules: { 'no-console': 'off' } }];
