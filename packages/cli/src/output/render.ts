import { renderCsv } from './csv.ts';
import { renderJson } from './json.ts';
import { renderSarif } from './sarif.ts';
import type { ScanResult } from '../scan/scan-result.ts';
import { renderTable } from './table.ts';

export type OutputFormat = 'table' | 'json' | 'sarif' | 'csv';

export function renderScan(result: ScanResult, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return renderJson(result);
    case 'sarif':
      return renderSarif(result);
    case 'csv':
      return renderCsv(result);
    case 'table':
      return renderTable(result);
  }
}
