// The webhook list: status (with the endpoint's circuit when it is not healthy), its last day (a sparkline), enable/disable, test event, rotate secret, links to
// edit (and delete), the delivery log and the change history; stored webhooks that do not read back apart.
import { path } from "./api.js";
import { recoverDialog } from "./deliveries.js";
import { clearBanner, h, openDialog, pagedRows, replace, when } from "./dom.js";
import { daySummary, sparkline } from "./health.js";

/**
 * A secret, shown once: it lives only in this element (never in storage, history or the console),
 * and "Done" removes it from the page. A v1a (Ed25519) webhook has no secret to show: its public key is.
 */
export function secretPanel(title, { secret, public_key: publicKey }, onDone) {
  const value = secret
    ? h("code", { class: "secret", "data-testid": "secret" }, secret)
    : h("code", { class: "public-key", "data-testid": "public-key" }, publicKey);
  const advice = secret
    ? "Copy the signing secret now and store it with your receiver. It will not be shown again."
    : "Signed with Ed25519 (v1a): give your receiver this public key to verify with. The private key never leaves the platform; the key is also on the webhook's page.";
  const copied = h("span", { class: "muted", role: "status" });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value.textContent);
      copied.textContent = "Copied.";
    } catch {
      window.getSelection().selectAllChildren(value);
      copied.textContent = "Selected: press Ctrl+C to copy.";
    }
  };
  const panel = h(
    "section",
    { class: "secret-panel", "aria-live": "polite" },
    h("h2", {}, title),
    h("p", {}, advice),
    h("div", { class: "secret-row" }, value, h("button", { type: "button", onclick: copy }, "Copy"), copied),
    h("button", { type: "button", class: "primary", onclick: () => { panel.remove(); onDone(); } }, "Done"),
  );
  return panel;
}

function rotateDialog(screen, webhook, onRotated) {
  const grace = h(
    "select",
    { name: "grace_period_seconds" },
    h("option", { value: "0" }, "stops at once"),
    h("option", { value: "3600" }, "keeps signing for 1 hour"),
    h("option", { value: "86400", selected: true }, "keeps signing for 24 hours"),
  );
  const scheme = h(
    "select",
    { name: "signature_scheme" },
    h("option", { value: "v1", selected: webhook.signature_scheme === "v1" }, "v1: HMAC-SHA256 secret (whsec_)"),
    h("option", { value: "v1a", selected: webhook.signature_scheme === "v1a" }, "v1a: Ed25519 key pair (whpk_ public key)"),
  );
  openDialog("rotate", {
    title: ["Rotate the signing secret of ", webhook.name],
    body: h("div", {}, h("p", {}, h("label", {}, "New ", scheme)), h("p", {}, h("label", {}, "The current secret ", grace))),
    confirm: "Rotate secret",
    onConfirm: async (close) => {
      try {
        const { data } = await screen.api("POST", path("webhooks", webhook.webhook_id, "secret", "rotate"), {
          body: { grace_period_seconds: Number(grace.value), signature_scheme: scheme.value },
        });
        close();
        if (screen.shown) onRotated(data);
      } catch (error) {
        close();
        screen.problem(error);
      }
    },
  });
}

async function setEnabled(screen, webhook, enabled, reload) {
  try {
    // No If-Match: "set enabled" means the same whatever else changed since the list was read.
    const { data: changed } = await screen.api("PATCH", path("webhooks", webhook.webhook_id), { body: { enabled } });
    // Enabled again: what failed, or was skipped, while it was down is one Recover away.
    const recover = enabled && changed.disabled_at
      ? h("button", { type: "button", class: "link", onclick: () => recoverDialog(screen, changed, { since: changed.disabled_at }) }, "Recover what failed since it was disabled…")
      : null;
    screen.banner("info", `${webhook.name} is ${enabled ? "enabled" : "disabled"}. `, recover);
    await reload();
  } catch (error) {
    screen.problem(error);
  }
}

async function sendTest(screen, webhook) {
  try {
    const { data } = await screen.api("POST", path("webhooks", webhook.webhook_id, "test"));
    screen.banner("info", `Test event queued for ${webhook.name} (delivery ${data.delivery_id}).`);
  } catch (error) {
    screen.problem(error);
  }
}

// The last day, from the list call's own `endpoint` summary: no read per row.
function lastDay(webhook) {
  return h("td", { class: "last-day", "data-testid": "last-24h" }, sparkline(webhook.endpoint.last_24h), h("div", { class: "muted" }, daySummary(webhook.endpoint)));
}

/** The endpoint as deliver sees it (its circuit breaker); nothing more while it is healthy. */
function endpointState(endpoint) {
  const shown = {
    failing: () => `failing: ${endpoint.consecutive_failures} in a row`,
    slow_lane: () => `slow: in the slow lane until ${when(endpoint.slow_lane_until)}`,
    rate_limited: () => "rate limited: events wait for the next second",
    circuit_open: () => `circuit open until ${when(endpoint.open_until)}`,
    probing: () => "probing: the next attempt decides",
  }[endpoint.state];
  if (!shown) return [];
  const since = endpoint.down_since ? h("div", { class: "muted" }, "down since ", when(endpoint.down_since)) : [];
  return h("div", { class: "endpoint-state", "data-testid": "endpoint-state" }, h("span", { class: `badge ${endpoint.state}` }, shown()), since);
}

function row(screen, webhook, { reload, showSecret }) {
  const id = encodeURIComponent(webhook.webhook_id);
  const toggle = webhook.enabled ? "Disable" : "Enable";
  return h(
    "tr",
    { "data-webhook-id": webhook.webhook_id },
    h("td", {}, h("strong", { class: "name" }, webhook.name), h("div", { class: "muted url" }, webhook.url)),
    h("td", {}, webhook.environment),
    h("td", { class: "events" }, webhook.events.join(", ")),
    h(
      "td",
      {},
      h("span", { class: `badge ${webhook.enabled ? "enabled" : "disabled"}` }, webhook.enabled ? "enabled" : "disabled"),
      endpointState(webhook.endpoint),
    ),
    lastDay(webhook),
    h(
      "td",
      { class: "row-actions" },
      h("a", { href: `#/webhooks/${id}/edit` }, "Edit"),
      h("a", { href: `#/webhooks/${id}/deliveries` }, "Deliveries"),
      h("a", { href: `#/webhooks/${id}/history` }, "History"),
      h("button", { type: "button", onclick: () => setEnabled(screen, webhook, !webhook.enabled, reload) }, toggle),
      h("button", { type: "button", onclick: () => sendTest(screen, webhook) }, "Send test"),
      h("button", { type: "button", onclick: () => rotateDialog(screen, webhook, (rotated) => showSecret(webhook, rotated)) }, "Rotate secret"),
    ),
  );
}

/**
 * A stored webhook that does not read back: its id, what is wrong and how to repair it (the API's words; it
 * holds no values), and Delete. The other screens read the whole webhook, which a damaged one cannot give.
 */
function damagedRow(screen, damaged, reload) {
  const remove = () =>
    openDialog("confirm", {
      title: ["Delete the damaged webhook ", damaged.webhook_id, "?"],
      body: h("p", {}, "It stops receiving events at once and cannot be restored. Its delivery log is kept until it expires."),
      confirm: "Delete webhook",
      confirmClass: "danger",
      onConfirm: async (close) => {
        try {
          const ifMatch = damaged.version === null ? undefined : `"${damaged.version}"`;
          await screen.api("DELETE", path("webhooks", damaged.webhook_id), { ifMatch });
          close();
          screen.banner("info", `${damaged.webhook_id} is deleted.`);
          await reload();
        } catch (error) {
          close();
          screen.problem(error);
        }
      },
    });
  return h(
    "tr",
    { "data-webhook-id": damaged.webhook_id, class: "damaged" },
    h("td", { colspan: 3 }, h("strong", { class: "name" }, damaged.webhook_id), h("div", { class: "muted", "data-testid": "damage" }, damaged.detail)),
    h("td", {}, h("span", { class: "badge failed" }, "damaged")),
    h("td", {}),
    h("td", { class: "row-actions" }, h("button", { type: "button", onclick: remove }, "Delete…")),
  );
}

export async function listScreen(screen) {
  const secretSlot = h("div");
  const showSecret = (webhook, rotated) => {
    clearBanner();
    replace(secretSlot, secretPanel(`New signing secret for ${webhook.name}`, rotated, () => replace(secretSlot)));
  };
  const webhooks = pagedRows({
    readPage: (cursor) => screen.api("GET", "/webhooks", { query: { limit: 50, cursor } }),
    // A page's webhooks, then the stored ones of its range that do not read back (`damaged`).
    entries: (page) => [...page.items, ...page.damaged.map((damaged) => ({ damaged }))],
    row: (entry) =>
      entry.damaged
        ? damagedRow(screen, entry.damaged, () => webhooks.reload())
        : row(screen, entry, { reload: () => webhooks.reload(), showSecret }),
    empty: "No webhooks yet.",
    columns: 6,
    onProblem: (error) => screen.problem(error),
  });
  replace(
    screen.element,
    h("div", { class: "toolbar" }, h("h2", {}, "Webhooks"), h("a", { class: "button primary", href: "#/webhooks/new" }, "New webhook")),
    secretSlot,
    h(
      "table",
      { class: "webhooks" },
      h("thead", {}, h("tr", {}, ["Webhook", "Environment", "Events", "Status", "Last 24 hours", ""].map((title) => h("th", {}, title)))),
      webhooks.body,
    ),
    webhooks.more,
  );
  await webhooks.reload();
}
