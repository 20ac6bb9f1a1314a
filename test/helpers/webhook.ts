// Test-only: a loopback HTTP server standing in for an Alertmanager webhook receiver. Records every
// notification (webhook payload version 4) in arrival order; binds 127.0.0.1 only and never holds
// the test process open.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One alert of a notification, as Alertmanager's webhook sends it. */
export interface WebhookAlert {
  readonly status: "firing" | "resolved";
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  /** "0001-01-01T00:00:00Z" while firing. */
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface WebhookNotification {
  readonly version: string;
  readonly receiver: string;
  readonly status: "firing" | "resolved";
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly alerts: readonly WebhookAlert[];
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every notification so far, oldest first. */
  readonly notifications: readonly WebhookNotification[];
  /** Requests that were not a JSON POST (answered 400); a test asserts there are none. */
  readonly rejected: readonly string[];
  /** One line per notification and alert, for failure messages. */
  describe(): string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const notifications: WebhookNotification[] = [];
  const rejected: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        if (req.method !== "POST") throw new Error(`method ${req.method}`);
        notifications.push(JSON.parse(text) as WebhookNotification);
        res.end();
      } catch (err) {
        rejected.push(`${req.method} ${req.url}: ${(err as Error).message}: ${text.slice(0, 500)}`);
        res.statusCode = 400;
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    notifications,
    rejected,
    describe: () => {
      if (notifications.length === 0 && rejected.length === 0) return "--- webhook: nothing received ---";
      const lines = notifications.flatMap((n, i) => [
        `#${i + 1} ${n.status} group ${JSON.stringify(n.groupLabels)}`,
        ...n.alerts.map((a) => `    ${a.status} ${JSON.stringify(a.labels)}`),
      ]);
      return `--- webhook: ${notifications.length} notification(s) ---\n${[...lines, ...rejected.map((r) => `rejected: ${r}`)].join("\n")}`;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
