// The handshake step of the guide's manual diagnosis, as a person would script it: open the chat socket with a
// connection token, wait for `connected`, send a ping, wait for `pong`. Exit 0 on success.
const WebSocket = require('ws');
const ws = new WebSocket(process.argv[2]);
const fail = (why) => { console.error(why); process.exit(1); };
setTimeout(() => fail('timeout'), 5000).unref();
ws.on('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode}`));
ws.on('error', (e) => fail(e.message));
ws.on('message', (data) => {
  const msg = JSON.parse(String(data));
  if (msg.event === 'connected') ws.send(JSON.stringify({ type: 'ping' }));
  else if (msg.event === 'pong') { console.log('connected + pong'); ws.close(1000); }
});
ws.on('close', () => process.exit(0));
