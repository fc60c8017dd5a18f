import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import type { HelmetOptions } from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * This route's security headers, over the API's (a route serving HTML relaxes the content
     * security policy this way).
     */
    securityHeaders?: HelmetOptions;
  }
}

/**
 * Helmet tuned for a JSON API: nothing we serve is meant to load or run anything in a browser, so
 * the policy denies every source and every framing.
 */
const API_SECURITY_HEADERS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
};

type HeaderSetter = ReturnType<typeof helmet>;

/**
 * Sets the security headers on every answer, errors included. Each policy is turned into its
 * headers once, when first used: @fastify/helmet built the helmet middleware, parsing the whole
 * policy again, on every request (profiled under the check-in benchmark: 2% of the server's
 * samples).
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const api = helmet(API_SECURITY_HEADERS);
  const perRoute = new WeakMap<HelmetOptions, HeaderSetter>();
  const setterOf = (own: HelmetOptions): HeaderSetter => {
    let setter = perRoute.get(own);
    if (setter === undefined) {
      // (HelmetOptions forbids naming one header twice; a spread of two cannot show that it does not.)
      setter = helmet({ ...API_SECURITY_HEADERS, ...own } as HelmetOptions);
      perRoute.set(own, setter);
    }
    return setter;
  };
  app.addHook('onRequest', (request, reply, done) => {
    const own = request.routeOptions.config.securityHeaders;
    (own === undefined ? api : setterOf(own))(request.raw, reply.raw, (error?: unknown) => {
      done(error === undefined ? undefined : (error as Error));
    });
  });
}
