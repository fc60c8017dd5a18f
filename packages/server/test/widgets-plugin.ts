/**
 * The example route plugin: how a feature adds routes on top of @patchwarden/server. A real plugin
 * lives in its own package; this one only backs the tests and the README.
 */
import { pwError } from '@patchwarden/core';
import { requireService, type FastifyPluginAsyncZod } from '@patchwarden/server';
import { z } from 'zod';

export interface Widget {
  id: number;
  name: string;
  parts: { name: string; count: number }[];
  createdAt: string;
}

/** The service this plugin needs, provided by whoever assembles the server. */
export interface WidgetStore {
  get(id: number): Widget | undefined;
  list(limit: number): Widget[];
  add(widget: Omit<Widget, 'id'>): Widget;
}

// Declaration merging: from here on `app.services.widgets` is typed everywhere.
declare module '@patchwarden/server' {
  interface PatchwardenServices {
    widgets?: WidgetStore;
  }
}

export const widgetSchema = z
  .object({
    id: z.number().int().positive(),
    name: z.string(),
    parts: z.array(z.object({ name: z.string(), count: z.number().int().nonnegative() })),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Widget', description: 'A widget (example resource).' });

const newWidgetSchema = z.object({
  name: z.string().min(1),
  parts: z.array(z.object({ name: z.string(), count: z.number().int().nonnegative() })).max(100),
});

export const widgetsPlugin: FastifyPluginAsyncZod = async (app) => {
  // Checked at registration, so a server assembled without the store fails at boot.
  const store = requireService(app, 'widgets');
  const clock = app.services.clock;

  app.get(
    '/widgets',
    {
      schema: {
        summary: 'List widgets',
        tags: ['widgets'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ items: z.array(widgetSchema) }) },
      },
    },
    async (request) => ({ items: store.list(request.query.limit) }),
  );

  app.get(
    '/widgets/:id',
    {
      schema: {
        summary: 'Get one widget',
        tags: ['widgets'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: { 200: widgetSchema },
      },
    },
    async (request) => {
      const widget = store.get(request.params.id);
      if (!widget)
        throw pwError('PW_ERR_NOT_FOUND', `No widget ${request.params.id}`, {
          record: String(request.params.id),
        });
      return widget;
    },
  );

  app.post(
    '/widgets',
    {
      // Per-route overrides of the server-wide defaults.
      bodyLimit: 1024,
      config: { rateLimit: { max: 3, timeWindow: '1 minute' } },
      schema: {
        summary: 'Create a widget',
        tags: ['widgets'],
        body: newWidgetSchema,
        response: { 201: widgetSchema },
      },
    },
    async (request, reply) => {
      const widget = store.add({ ...request.body, createdAt: clock().toISOString() });
      return reply.code(201).send(widget);
    },
  );
};

/** An in-memory WidgetStore for tests. */
export function memoryWidgetStore(): WidgetStore {
  const widgets: Widget[] = [];
  return {
    get: (id) => widgets.find((widget) => widget.id === id),
    list: (limit) => widgets.slice(0, limit),
    add: (widget) => {
      const stored = { ...widget, id: widgets.length + 1 };
      widgets.push(stored);
      return stored;
    },
  };
}
