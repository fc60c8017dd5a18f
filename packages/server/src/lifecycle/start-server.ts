import type { FastifyInstance } from 'fastify';

export interface ListenOptions {
  host: string;
  /** 0 picks a free port; the chosen one is in the returned address. */
  port: number;
}

/** Starts listening and returns the address actually bound (`http://127.0.0.1:41234`). */
export async function startServer(app: FastifyInstance, options: ListenOptions): Promise<string> {
  return app.listen({ host: options.host, port: options.port });
}
