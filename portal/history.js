// A webhook's change history (the audit trail): who changed what, when, newest first.
import { path } from "./api.js";
import { h, pagedRows, replace, when } from "./dom.js";

// A value as it was stored: text as is, anything else as compact JSON, absence as a dash.
const shown = (value) => (value === null || value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value));

function changeList(changes) {
  const fields = Object.entries(changes);
  if (!fields.length) return h("span", { class: "muted" }, "—");
  return h(
    "ul",
    { class: "changes" },
    fields.map(([field, change]) =>
      h("li", { "data-field": field }, h("code", {}, field), ": ", h("span", { class: "before" }, shown(change.before)), " → ", h("span", { class: "after" }, shown(change.after))),
    ),
  );
}

function entryRow(entry) {
  return h(
    "tr",
    { "data-audit-id": entry.audit_id, "data-action": entry.action },
    h("td", {}, when(entry.recorded_at)),
    h("td", {}, h("span", { class: `badge action ${entry.action}` }, entry.action.replaceAll("_", " "))),
    h("td", {}, entry.actor),
    h("td", {}, changeList(entry.changes)),
    h("td", {}, entry.version ?? "—"),
  );
}

export async function historyScreen(screen, webhookId) {
  const { data: webhook } = await screen.api("GET", path("webhooks", webhookId));
  const entries = pagedRows({
    readPage: (cursor) => screen.api("GET", path("webhooks", webhookId, "audit"), { query: { limit: 50, cursor } }),
    row: entryRow,
    onProblem: (error) => screen.problem(error),
  });
  replace(
    screen.element,
    h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")),
    h("div", { class: "toolbar" }, h("h2", {}, "History of ", webhook.name)),
    h("p", { class: "muted" }, "Every change to this webhook, by whom and when. Secrets are never recorded, only that one was rotated or revealed."),
    h(
      "table",
      { class: "history" },
      h("thead", {}, h("tr", {}, ["When", "Action", "By", "Changes", "Version"].map((title) => h("th", {}, title)))),
      entries.body,
    ),
    entries.more,
  );
  await entries.reload();
}
