/** Node flags the server runs with (see server-process.js). */
export declare const SERVER_NODE_FLAGS: readonly string[];
export declare function hasYoungGenerationSize(execArgv: readonly string[], nodeOptions?: string): boolean;
export declare function relaunchServerWithNodeFlags(argv?: readonly string[]): boolean;
