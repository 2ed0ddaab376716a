// The peer reference: @tus/server with its file store, on a loopback port,
// storing into DIR. Prints "listening" once it accepts uploads.
//
//   node bench/tus-peer-server.mjs PORT DIR
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/tools/package.json', import.meta.url));
const { Server } = require('@tus/server');
const { FileStore } = require('@tus/file-store');
const [port, directory] = process.argv.slice(2);

const server = new Server({ path: '/files', datastore: new FileStore({ directory }) });
server.listen({ host: '127.0.0.1', port: Number(port) }, () => console.log('listening'));
