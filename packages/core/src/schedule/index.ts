export * from './maintenance-window.ts';
export * from './patch-schedule.ts';
export { patchTuesday } from './patch-tuesday.ts';
