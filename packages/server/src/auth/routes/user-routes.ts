import { pwError } from '@patchwarden/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthRouteContext } from '../auth-context.ts';
import { idParams, roleBindingSchema, roleSchema, roleScopeSchema, userSchema } from '../auth-schemas.ts';
import { actorOf, authorizeRequest } from '../request-principal.ts';
import type { RequestPrincipal } from '../request-principal.ts';

const userWithBindings = z.object({ user: userSchema, bindings: z.array(roleBindingSchema) });

function notYourself(principal: RequestPrincipal, userId: string, what: string): void {
  if (principal.userId === userId) {
    throw pwError('PW_ERR_CONFLICT', `You cannot ${what} your own account; ask another administrator`, {
      record: userId,
    });
  }
}

/** User administration: accounts, passwords, TOTP reset and role bindings (users:manage). */
export function registerUserRoutes(fastify: FastifyInstance, context: AuthRouteContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { repository } = context;

  async function withBindings(userId: string) {
    const user = await repository.getUser(userId);
    if (!user) throw pwError('PW_ERR_NOT_FOUND', `No user ${userId}`, { record: userId });
    return { user, bindings: await repository.listRoleBindings({ userId }) };
  }

  app.get(
    '/users',
    {
      schema: {
        summary: 'List users',
        tags: ['users'],
        response: { 200: z.object({ items: z.array(userSchema) }) },
      },
    },
    async (request) => {
      authorizeRequest(request, 'users:read');
      return { items: await repository.listUsers() };
    },
  );

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user, with roles',
        tags: ['users'],
        body: z.object({
          username: z.string().min(1).max(200),
          displayName: z.string().max(200).optional(),
          password: z.string().min(1).max(4096).optional(),
          roles: z
            .array(z.object({ role: roleSchema, scope: roleScopeSchema }))
            .max(50)
            .default([]),
        }),
        response: { 201: userWithBindings },
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'users:manage');
      const actor = actorOf(principal);
      const { roles, ...input } = request.body;
      const user = await repository.createUser(input, actor);
      for (const binding of roles) await repository.addRoleBinding({ userId: user.id, ...binding }, actor);
      return reply.code(201).send(await withBindings(user.id));
    },
  );

  app.get(
    '/users/:id',
    {
      schema: {
        summary: 'One user and their role bindings',
        tags: ['users'],
        params: idParams,
        response: { 200: userWithBindings },
      },
    },
    async (request) => {
      authorizeRequest(request, 'users:read');
      return withBindings(request.params.id);
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        summary: 'Change a user (disabling ends their sessions and stops their tokens)',
        tags: ['users'],
        params: idParams,
        body: z.object({
          displayName: z.string().max(200).nullable().optional(),
          disabled: z.boolean().optional(),
          groups: z.array(z.string().min(1).max(200)).max(200).optional(),
        }),
        response: { 200: userSchema },
      },
    },
    async (request) => {
      const principal = authorizeRequest(request, 'users:manage');
      if (request.body.disabled === true) notYourself(principal, request.params.id, 'disable');
      return repository.updateUser(request.params.id, request.body, actorOf(principal));
    },
  );

  app.delete(
    '/users/:id',
    { schema: { summary: 'Delete a user', tags: ['users'], params: idParams, response: { 204: z.null() } } },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'users:manage');
      notYourself(principal, request.params.id, 'delete');
      await repository.deleteUser(request.params.id, actorOf(principal));
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/users/:id/password',
    {
      schema: {
        summary: 'Set a user’s password (ends their sessions)',
        tags: ['users'],
        params: idParams,
        body: z.object({ password: z.string().min(1).max(4096) }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'users:manage');
      await repository.setPassword(request.params.id, request.body.password, actorOf(principal));
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/users/:id/totp',
    {
      schema: {
        summary: 'Turn off a user’s TOTP (lost device)',
        tags: ['users'],
        params: idParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'users:manage');
      await repository.disableTotp(request.params.id, actorOf(principal));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/role-bindings',
    {
      schema: {
        summary: 'List role bindings',
        tags: ['users'],
        querystring: z.object({ userId: z.uuid().optional(), group: z.string().min(1).optional() }),
        response: { 200: z.object({ items: z.array(roleBindingSchema) }) },
      },
    },
    async (request) => {
      authorizeRequest(request, 'users:read');
      return { items: await repository.listRoleBindings(request.query) };
    },
  );

  app.post(
    '/role-bindings',
    {
      schema: {
        summary: 'Grant a role to a user or a group',
        tags: ['users'],
        body: z.object({
          userId: z.uuid().optional(),
          group: z.string().min(1).max(200).optional(),
          role: roleSchema,
          scope: roleScopeSchema,
        }),
        response: { 201: roleBindingSchema },
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'users:manage');
      return reply.code(201).send(await repository.addRoleBinding(request.body, actorOf(principal)));
    },
  );

  app.delete(
    '/role-bindings/:id',
    {
      schema: {
        summary: 'Remove a role binding',
        tags: ['users'],
        params: idParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'users:manage');
      await repository.removeRoleBinding(request.params.id, actorOf(principal));
      return reply.code(204).send(null);
    },
  );
}
