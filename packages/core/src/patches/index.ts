export * from './classification-rules.ts';
export * from './classify-patch.ts';
export * from './patch-type.ts';
