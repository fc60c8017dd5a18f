import serverPackage from '../../package.json' with { type: 'json' };

/** The version reported by `/healthz`, `/api/v1/version` and the OpenAPI document unless overridden. */
export const SERVER_VERSION: string = serverPackage.version;
