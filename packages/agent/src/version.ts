/** Reported to the server with every check-in; kept equal to package.json's version by a test. */
export const AGENT_VERSION = '0.1.0';
