// Fallback dev server when no `temporal` CLI can be found or built: the Temporal SDK downloads one.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';

const [port = '7233', uiPort = '8233', dbFilename = '.data/sandbox/temporal.db'] = process.argv.slice(2);
const env = await TestWorkflowEnvironment.createLocal({
  server: {
    executable: { type: 'cached-download' },
    ip: '127.0.0.1',
    port: Number(port),
    ui: true,
    uiPort: Number(uiPort),
    dbFilename,
    searchAttributes: [...RUNWAY_SEARCH_ATTRIBUTES],
  },
});
const stop = () => void env.teardown().finally(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
