/**
 * Channels: add, update (rate, frequency cap), list (never with API keys), remove.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.ts';

const channelSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, baseUrl: { type: 'string' }, mps: { type: 'integer' }, createdAt: { type: 'integer' }, apiKeyEncrypted: { type: 'boolean' }, phoneNumberId: { type: 'string' }, frequencyCap: { type: 'string' } },
};

export function registerChannelRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { channels } = deps.ctx;

  app.post<{ Body: Record<string, unknown>; Querystring: { replace?: string } }>(
    '/v1/channels',
    {
      schema: {
        summary: 'Add a channel (a 360dialog number and its D360-API-KEY)',
        body: {
          type: 'object',
          required: ['id', 'baseUrl', 'apiKey'],
          properties: { id: { type: 'string' }, baseUrl: { type: 'string', example: 'https://waba-v2.360dialog.io' }, apiKey: { type: 'string' }, mps: { type: 'integer', default: 80 }, phoneNumberId: { type: 'string' }, frequencyCap: { type: 'string', example: '2/7d' } },
        },
        querystring: { type: 'object', properties: { replace: { type: 'string', enum: ['true', 'false'] } } },
        response: { 201: channelSchema },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const channel = await channels.add(body as never, { replace: request.query.replace === 'true' });
      return reply.code(201).send(channel);
    },
  );

  app.patch<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/v1/channels/:id',
    {
      schema: {
        summary: 'Change the rate or the frequency cap of a channel (frequencyCap null removes it)',
        body: { type: 'object', properties: { mps: { type: 'integer' }, frequencyCap: { type: ['string', 'null'], example: '2/7d' } } },
        response: { 200: channelSchema },
      },
    },
    async (request) => channels.update(request.params.id, (request.body ?? {}) as never),
  );

  app.get('/v1/channels', { schema: { summary: 'List channels (API keys are never returned)', response: { 200: { type: 'object', properties: { channels: { type: 'array', items: channelSchema } } } } } }, async () => ({
    channels: await channels.list(),
  }));

  app.delete<{ Params: { id: string } }>('/v1/channels/:id', { schema: { summary: 'Remove a channel' } }, async (request, reply) => {
    await channels.remove(request.params.id);
    return reply.code(204).send();
  });
}
