export { policyPlugin, type PolicyPluginOptions } from './policy-routes.ts';
