// An independent OAuth 2.0 server (oauth2-mock-server, from the npm registry) for the generic
// OAuth client's test (server/tests/independent_oauth_server.rs). Listens on a free loopback
// port, prints it as `PORT=<n>`, and stops when its standard input closes.
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(0, '127.0.0.1');
process.stdout.write(`PORT=${server.address().port}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.stop();
  process.exit(0);
});
