/** The baseline: a bare Fastify server answering a small JSON body, as cheap as a JSON route can be. */
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
app.get('/json', async () => ({ access_token: 'ramp_tok_baseline', token_type: 'Bearer', expires_at: new Date().toISOString(), environment: 'sandbox' }));
await app.listen({ port, host: '127.0.0.1' });
