import type { InventoryFormat } from '@patchwarden/core';
import { parseFailure } from './parse-failure.ts';
import { stripBom } from './records.ts';

export function parseJson(format: InventoryFormat, file: string, text: string): unknown {
  const body = stripBom(text);
  try {
    return JSON.parse(body) as unknown;
  } catch (cause) {
    throw parseFailure(format, file, cause, body);
  }
}
