// An orra service in one file: registers "echo" with the engine and answers every task with its
// message. Start it with `ORRA_API_KEY=sk-orra-… npm start` (ORRA_URL: the engine, default :8005).
import { initService } from '@orra/sdk';

/** One line and exit 1: the engine cannot be reached, or refuses the key (now or on a reconnect). */
const fail = (error) => {
  console.error(`echo service: ${error.message}`);
  process.exit(1);
};
if (!process.env.ORRA_API_KEY) fail(new Error('set ORRA_API_KEY to an API key of your project'));
const echo = initService({
  name: 'echo',
  orraUrl: process.env.ORRA_URL ?? 'http://127.0.0.1:8005',
  orraKey: process.env.ORRA_API_KEY,
});
echo.onError(fail);
await echo
  .register({
    description: 'Echoes a message',
    schema: {
      input: { type: 'object', properties: { message: { type: 'string' } } },
      output: { type: 'object', properties: { echo: { type: 'string' } } },
    },
  })
  .catch(fail);
echo.start(async (task) => ({ echo: task.input.message }));
console.log(`echo service ready: ${echo.info.id}`); // the id a plan names in "service"

// Ctrl-C or a supervisor's SIGTERM: close the connection; the process then ends by itself.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void echo.shutdown());
