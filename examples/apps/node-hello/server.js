// cnbkit's example app: answers every request with a greeting and how long it has been up.
// `ms` is the one small npm dependency, so the build exercises a real `npm ci`.
const http = require("node:http");
const ms = require("ms");

const started = Date.now();
const port = Number(process.env.PORT || 8080);
// All interfaces by default, as a container needs; HOST=127.0.0.1 keeps it on loopback.
const host = process.env.HOST || "0.0.0.0";

http
  .createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(`Hello from node-hello on Node ${process.version}, up ${ms(Date.now() - started, { long: true })}\n`);
  })
  .listen(port, host, () => console.log(`node-hello listening on ${host}:${port}`));
