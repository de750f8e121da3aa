// The delivery log of one webhook (filters: status, event, time range; recovery of what failed) and one
// delivery's attempts.
import { api, path } from "./api.js";
import { h, openDialog, pagedRows, replace, showBanner, showProblem, statusBadge, when } from "./dom.js";

const STATUSES = ["succeeded", "failed", "skipped", "pending", "unknown"];
const TEST_EVENT = "webhook.test";
const POLL_INTERVAL_MS = 1000;
const POLL_ROUNDS = 15;

const deliveriesHash = (webhookId, filters = {}) => {
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value)).toString();
  return `#/webhooks/${encodeURIComponent(webhookId)}/deliveries${query ? `?${query}` : ""}`;
};

// datetime-local values are local wall-clock times; the API takes RFC 3339 instants.
const toInstant = (local) => (local ? new Date(local).toISOString() : "");

function select(name, label, options, current) {
  return h(
    "label",
    {},
    label,
    " ",
    h("select", { name }, h("option", { value: "" }, "any"), options.map((value) => h("option", { value, selected: value === current }, value))),
  );
}

function filtersForm(catalogue, filters, navigate, webhookId) {
  const form = h(
    "form",
    { class: "filters", "data-field": "filters" },
    select("status", "Status", STATUSES, filters.status),
    select("event", "Event", [...catalogue.map((event) => event.name), TEST_EVENT], filters.event),
    h("label", {}, "From ", h("input", { type: "datetime-local", name: "from", value: filters.from || "" })),
    h("label", {}, "Until ", h("input", { type: "datetime-local", name: "until", value: filters.until || "" })),
    h("button", { type: "submit" }, "Apply"),
    h("a", { href: deliveriesHash(webhookId), class: "button" }, "Clear"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = Object.fromEntries(["status", "event", "from", "until"].map((name) => [name, form.elements[name].value]));
    navigate(deliveriesHash(webhookId, chosen));
  });
  return form;
}

function attemptRow(webhookId, attempt) {
  const detail = `#/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(attempt.delivery_id)}`;
  return h(
    "tr",
    { "data-delivery-id": attempt.delivery_id },
    h("td", {}, when(attempt.requested_at)),
    h("td", {}, attempt.event),
    h("td", {}, statusBadge(attempt.status)),
    h("td", {}, attempt.http_status ?? (attempt.error_kind || "—")),
    h("td", {}, attempt.attempt),
    h("td", {}, attempt.trigger),
    h("td", {}, attempt.duration_ms === null ? "—" : `${attempt.duration_ms} ms`),
    h("td", {}, h("a", { href: detail }, "Details")),
  );
}

// datetime-local value (local wall-clock time, minutes) of a moment.
const toLocalInput = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/**
 * Sends again every delivery whose latest attempt since a time the admin picks failed, or was skipped while
 * the webhook was disabled: the API answers one page per call, so this follows `next_cursor` (same since and
 * until) until the range is done.
 */
function recoverDialog(webhook, onRecovered) {
  const since = h("input", { type: "datetime-local", name: "since", value: toLocalInput(new Date(Date.now() - 24 * 3600_000)) });
  const recover = async (close) => {
    const url = path("webhooks", webhook.webhook_id, "deliveries", "recover");
    let body = { since: toInstant(since.value) };
    let queued = 0;
    const notKept = [];
    try {
      for (;;) {
        const { data } = await api("POST", url, { body });
        queued += data.queued.length;
        notKept.push(...data.not_redeliverable);
        if (!data.next_cursor) break;
        body = { since: body.since, until: data.until, cursor: data.next_cursor };
      }
      close();
      const skipped = notKept.length ? ` ${notKept.length} could not be: their body was too large to keep.` : "";
      showBanner("info", `${queued} failed ${queued === 1 ? "delivery" : "deliveries"} queued again.${skipped}`);
      onRecovered();
    } catch (error) {
      close();
      showProblem(error);
    }
  };
  openDialog("confirm recover", {
    title: ["Recover failed deliveries of ", webhook.name],
    body: [
      h("p", {}, "Sends again, with the same webhook-id, every delivery whose latest attempt since the time below failed, or was skipped while the webhook was disabled. Deliveries answered or retried since are left alone."),
      h("label", {}, "Failed since ", since),
    ],
    confirm: "Send them again",
    onConfirm: recover,
  });
}

export async function logScreen(view, catalogue, webhookId, filters, navigate) {
  const { data: webhook } = await api("GET", path("webhooks", webhookId));
  const query = {
    status: filters.status,
    event: filters.event,
    since: toInstant(filters.from),
    until: toInstant(filters.until),
    limit: 25,
  };
  const log = pagedRows({
    readPage: (cursor) => api("GET", path("webhooks", webhookId, "deliveries"), { query: { ...query, cursor } }),
    row: (attempt) => attemptRow(webhookId, attempt),
    empty: "No deliveries match.",
    columns: 8,
    onProblem: showProblem,
  });
  const sendTest = async () => {
    try {
      const { data } = await api("POST", path("webhooks", webhookId, "test"));
      showBanner("info", `Test event queued (delivery ${data.delivery_id}).`);
      setTimeout(() => log.reload().catch(showProblem), POLL_INTERVAL_MS);
    } catch (error) {
      showProblem(error);
    }
  };
  replace(
    view,
    h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")),
    h(
      "div",
      { class: "toolbar" },
      h("h2", {}, "Deliveries of ", webhook.name),
      h("button", { type: "button", onclick: sendTest }, "Send test event"),
      h("button", { type: "button", onclick: () => recoverDialog(webhook, () => setTimeout(() => log.reload().catch(showProblem), POLL_INTERVAL_MS)) }, "Recover failed…"),
      h("button", { type: "button", onclick: () => log.reload().catch(showProblem) }, "Refresh"),
    ),
    filtersForm(catalogue, filters, navigate, webhookId),
    h(
      "table",
      { class: "deliveries" },
      h("thead", {}, h("tr", {}, ["Requested", "Event", "Status", "HTTP / error", "Attempt", "Trigger", "Duration", ""].map((title) => h("th", {}, title)))),
      log.body,
    ),
    log.more,
  );
  try {
    await log.reload();
  } catch (error) {
    showProblem(error, view.querySelector("form.filters"));
  }
}

function pretty(body) {
  if (body === null || body === undefined) return "—";
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function attemptSection(attempt) {
  const headers = Object.entries(attempt.request_headers || {});
  return h(
    "section",
    { class: "attempt", "data-attempt": attempt.attempt },
    h("h3", {}, `Attempt ${attempt.attempt} `, statusBadge(attempt.status), ` ${attempt.http_status ?? ""}`),
    h(
      "dl",
      {},
      h("dt", {}, "Trigger"), h("dd", {}, attempt.trigger),
      h("dt", {}, "Requested"), h("dd", {}, when(attempt.requested_at)),
      h("dt", {}, "Completed"), h("dd", {}, when(attempt.completed_at)),
      h("dt", {}, "Duration"), h("dd", {}, attempt.duration_ms === null ? "—" : `${attempt.duration_ms} ms`),
      attempt.error_kind ? [h("dt", {}, "Error"), h("dd", {}, attempt.error_kind, attempt.error_detail ? `: ${attempt.error_detail}` : "")] : null,
      attempt.next_attempt_at ? [h("dt", {}, "Next attempt"), h("dd", {}, when(attempt.next_attempt_at))] : null,
    ),
    h("h4", {}, "Request headers"),
    h("table", { class: "headers" }, h("tbody", {}, headers.map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, value))))),
    h("h4", {}, "Request body"),
    h("pre", { class: "request-body" }, pretty(attempt.request_body)),
    h("h4", {}, "Response", attempt.response_truncated ? " (first 4 KiB)" : ""),
    h("pre", { class: "response-excerpt" }, attempt.response_excerpt ?? "—"),
  );
}

export async function detailScreen(view, webhookId, deliveryId) {
  const url = path("webhooks", webhookId, "deliveries", deliveryId);
  const attempts = h("div", { class: "attempts" });
  const render = (detail) => replace(attempts, [...detail.attempts].reverse().map(attemptSection));
  const settled = (detail) => detail.attempts.every((attempt) => attempt.status !== "pending");
  const redeliver = async () => {
    try {
      const { data: accepted } = await api("POST", `${url}/redeliver`);
      showBanner("info", `Redelivery queued as attempt ${accepted.attempt}.`);
      // The attempt appears once the deliver function has logged it; follow it for a little while.
      for (let round = 0; round < POLL_ROUNDS; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        const { data: detail } = await api("GET", url);
        render(detail);
        if (detail.attempts.some((attempt) => attempt.attempt >= accepted.attempt) && settled(detail)) return;
      }
    } catch (error) {
      showProblem(error);
    }
  };
  const { data: detail } = await api("GET", url);
  render(detail);
  replace(
    view,
    h("p", {}, h("a", { href: deliveriesHash(webhookId) }, "← Delivery log")),
    h("div", { class: "toolbar" }, h("h2", {}, detail.event, " delivery"), h("button", { type: "button", class: "primary", onclick: redeliver }, "Redeliver")),
    h("dl", { class: "ids" }, h("dt", {}, "Delivery id (webhook-id)"), h("dd", {}, h("code", {}, detail.delivery_id)), h("dt", {}, "Event id"), h("dd", {}, h("code", {}, detail.event_id))),
    attempts,
  );
}
