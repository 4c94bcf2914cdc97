import type { WebhookEndpointOut } from '@orra/protocol';
import type { CliContext } from '../cli-context.js';
import { CliError, describeError, usageError } from '../cli-error.js';
import { prettyJson } from '../format.js';
import { summarizeEvent } from '../webhook-event-summary.js';
import { listenAddress, WebhookListener, type ReceivedEvent } from '../webhook-listener.js';

/**
 * `orra verify webhooks start URL`: serves the URL locally until SIGINT/SIGTERM, printing each event
 * and whether its signature is valid. Resolves once stopped.
 */
export async function startWebhookListener(
  ctx: CliContext,
  url: string,
  opts: { secret?: string; json?: boolean; listen?: string },
): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`'${url}' is not a URL; use e.g. http://localhost:8888/webhooks`);
  }
  if (parsed.protocol !== 'http:') {
    throw usageError(
      `verify webhooks start serves plain HTTP; give an http:// URL (${parsed.protocol} is not served locally)`,
    );
  }
  let address: Awaited<ReturnType<typeof listenAddress>>;
  try {
    address = await listenAddress(parsed, opts.listen);
  } catch (err) {
    const host = opts.listen ?? parsed.hostname;
    throw new CliError(
      `cannot find an address of ${host} to listen on (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); name this machine in the URL, or give the address with --listen, e.g. --listen 0.0.0.0 for every interface`,
    );
  }
  const secret = opts.secret ?? (await findSecret(ctx, parsed));
  let count = 0;
  const listener = new WebhookListener({
    ...address,
    secret,
    onEvent: (event) => {
      count += 1;
      printEvent(ctx, event, opts.json === true);
    },
    onIgnored: (method, path, status) =>
      ctx.out.note(`ignored ${method} ${path}: answered ${status} (webhooks arrive as POST ${address.path})`),
  });
  try {
    const bound = await listener.listen();
    const at = bound.map((b) => (b.family === 'IPv6' ? `[${b.address}]` : b.address)).join(', ');
    // "Listening" comes last: scripts and tests take it as the sign that the listener is ready.
    ctx.out.note(
      secret
        ? 'Checking signatures with the endpoint secret'
        : 'Signatures are not checked (no secret: pass --secret whsec_…)',
    );
    ctx.out.note(
      `Listening for webhooks on http://${parsed.hostname}:${bound[0]?.port}${address.path} at ${at} (Ctrl-C to stop)`,
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError(
        `port ${address.port} is already in use; stop what uses it or pick another port in the URL`,
      );
    if (code === 'EADDRNOTAVAIL')
      throw new CliError(
        `this machine has no address ${address.addresses.join(', ')} to listen on; name this machine in the URL, or give one of its addresses with --listen`,
      );
    throw describeError(err, undefined);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void listener.close().then(() => {
        ctx.out.note(`Stopped after ${count} ${count === 1 ? 'event' : 'events'}`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * The secret of the project's endpoint with this URL. Matches `localhost` and `host.docker.internal`
 * as the same host, as orra's CLI does for engines running in Docker.
 */
async function findSecret(ctx: CliContext, url: URL): Promise<string | undefined> {
  let endpoints: WebhookEndpointOut[];
  try {
    const client = ctx.client();
    endpoints = await client.listWebhooks();
    const match = endpoints.find((e) => sameUrl(e.url, url));
    if (!match) {
      ctx.out.note(
        `${url.href} is not a webhook of project ${ctx.project().name}; add it with 'orra webhooks add ${url.href}' so the engine sends to it`,
      );
      return undefined;
    }
    const full = await client.getWebhook(match.id);
    ctx.out.note(
      `Endpoint ${match.id} (${match.kind === 'orchestration' ? 'orchestration events' : 'compensation.failed'})`,
    );
    return full.secret;
  } catch (err) {
    ctx.out.note(`Could not look up the endpoint's secret: ${describeError(err, ctx.server).message}`);
    return undefined;
  }
}

function sameUrl(endpointUrl: string, url: URL): boolean {
  const canon = (u: URL) =>
    `${u.protocol}//${u.hostname === 'host.docker.internal' ? 'localhost' : u.hostname}:${u.port || '80'}${u.pathname}`;
  try {
    return canon(new URL(endpointUrl)) === canon(url);
  } catch {
    return false;
  }
}

function printEvent(ctx: CliContext, event: ReceivedEvent, isJson: boolean): void {
  const body = event.json as Record<string, unknown> | undefined;
  const type = String(event.headers['x-orra-event'] ?? body?.type ?? 'unknown');
  const eventId = String(event.headers['webhook-id'] ?? body?.event_id ?? '');
  if (isJson) {
    ctx.io.stdout.write(
      `${JSON.stringify({ eventId, type, path: event.path, signature: event.signature.kind, body: event.json ?? event.body })}\n`,
    );
    return;
  }
  const { out } = ctx;
  const sig = event.signature;
  const signature =
    sig.kind === 'valid'
      ? `${out.paint('✓', 'good')} signature valid`
      : sig.kind === 'invalid'
        ? `${out.paint('✕', 'bad')} signature INVALID (${sig.reason})`
        : 'signature not checked';
  out.line(`┌─ ${out.paint(type, 'bold')}  ${new Date().toISOString()}`);
  out.line(`│ event_id:  ${eventId}`);
  out.line(`│ summary:   ${summarizeEvent(event.json)}`);
  out.line(`│ ${signature}`);
  out.line('│');
  for (const line of (event.json === undefined ? event.body : prettyJson(event.json)).split('\n'))
    out.line(`│   ${line}`);
  out.line('└─────');
}
