import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP relay on 127.0.0.1 in front of a test server, whose "network" can be cut: every open
 * connection is destroyed and new ones are closed at once, for every request whatever makes it
 * (a page, a service worker, a browser's own fetches), until it is mended. Chromium's offline
 * emulation does not reach the requests a service worker passes on, nor does Playwright's routing
 * see them, so a desk "offline" could still reach the server; a cut here is a real one.
 */
export interface NetworkCut {
  /** The relay's origin (http://127.0.0.1:<port>): what the browser opens instead of the server's. */
  url: string;
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

export async function startNetworkCut(target: string): Promise<NetworkCut> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let down = false;
  const relay = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(Number(port), hostname);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const address = relay.address();
  if (!address || typeof address === "string") throw new Error("the relay has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      down = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    mend() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        relay.close(() => resolve());
      }),
  };
}
