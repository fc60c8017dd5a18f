export { main } from './main.ts';
export { runScan } from './scan/run-scan.ts';
export type { ScanRequest } from './scan/run-scan.ts';
export type { ScanResult } from './scan/scan-result.ts';
export { renderScan } from './output/render.ts';
export type { OutputFormat } from './output/render.ts';
