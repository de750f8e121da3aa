// The delivery log of one webhook (filters: status, event, time range; recovery of what failed) and one
// delivery's attempts.
import { path } from "./api.js";
import { h, openDialog, pagedRows, replace, statusBadge, when } from "./dom.js";
import { healthPanel } from "./health.js";

const STATUSES = ["succeeded", "failed", "skipped", "pending", "unknown"];
const TEST_EVENT = "webhook.test";
// The API's largest page: attempts just queued are the newest, so they are on its first page.
const NEWEST_ATTEMPTS = 100;

// An attempt is pending from its claim until its answer (or its error) is logged.
const answered = (attempt) => attempt.status !== "pending";

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
 * Sends again every delivery whose latest attempt since a time the admin picks (by default `since`, else a day
 * ago) failed, or was skipped while the webhook was disabled: the API answers one page per call, so this
 * follows `next_cursor` (same since and until) until the range is done; `onRecovered(queued)` then.
 */
export function recoverDialog(screen, webhook, { since: from = null, onRecovered = () => {} } = {}) {
  const start = from ? new Date(from) : new Date(Date.now() - 24 * 3600_000);
  const since = h("input", { type: "datetime-local", name: "since", value: toLocalInput(start) });
  const recover = async (close) => {
    const url = path("webhooks", webhook.webhook_id, "deliveries", "recover");
    let body = { since: toInstant(since.value) };
    const queued = [];
    const notKept = [];
    try {
      for (;;) {
        const { data } = await screen.api("POST", url, { body });
        queued.push(...data.queued);
        notKept.push(...data.not_redeliverable);
        if (!data.next_cursor) break;
        body = { since: body.since, until: data.until, cursor: data.next_cursor };
      }
      close();
      const skipped = notKept.length ? ` ${notKept.length} could not be: their body was too large to keep.` : "";
      screen.banner("info", `${queued.length} failed ${queued.length === 1 ? "delivery" : "deliveries"} queued again.${skipped}`);
      onRecovered(queued);
    } catch (error) {
      close();
      screen.problem(error);
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

export async function logScreen(screen, catalogue, webhookId, filters, navigate) {
  const { data: webhook } = await screen.api("GET", path("webhooks", webhookId));
  const deliveries = path("webhooks", webhookId, "deliveries");
  const query = {
    status: filters.status,
    event: filters.event,
    since: toInstant(filters.from),
    until: toInstant(filters.until),
    limit: 25,
  };
  const log = pagedRows({
    readPage: (cursor) => screen.api("GET", deliveries, { query: { ...query, cursor } }),
    row: (attempt) => attemptRow(webhookId, attempt),
    empty: "No deliveries match.",
    columns: 8,
    onProblem: (error) => screen.problem(error),
  });
  // A queued attempt is logged once the deliver function has it, after the queue's batching window, and
  // answered after the endpoint: follow the newest attempts until each queued one is answered, then show
  // the log again (whatever its filters); `notShown` is the banner if they have not all been by then.
  const follow = async (queued, notShown) => {
    try {
      const allAnswered = await screen.poll(async () => {
        const { data } = await screen.api("GET", deliveries, { query: { limit: NEWEST_ATTEMPTS } });
        const logged = (one) => data.items.some((item) => item.delivery_id === one.delivery_id && item.attempt === one.attempt && answered(item));
        return queued.every(logged);
      });
      await log.reload();
      if (!allAnswered) screen.banner("info", notShown);
    } catch (error) {
      screen.problem(error);
    }
  };
  const sendTest = async () => {
    try {
      const { data: queued } = await screen.api("POST", path("webhooks", webhookId, "test"));
      const message = `Test event queued (delivery ${queued.delivery_id}).`;
      screen.banner("info", message);
      follow([queued], `${message} It has not shown in the log yet: press Refresh later.`);
    } catch (error) {
      screen.problem(error);
    }
  };
  const recovered = (queued) => {
    if (queued.length) follow(queued, "Not every delivery queued again has shown in the log yet: press Refresh later.");
  };
  replace(
    screen.element,
    h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")),
    h(
      "div",
      { class: "toolbar" },
      h("h2", {}, "Deliveries of ", webhook.name),
      h("button", { type: "button", onclick: sendTest }, "Send test event"),
      h("button", { type: "button", onclick: () => recoverDialog(screen, webhook, { onRecovered: recovered }) }, "Recover failed…"),
      h("button", { type: "button", onclick: () => log.reload().catch((error) => screen.problem(error)) }, "Refresh"),
    ),
    healthPanel(screen, webhook),
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
    screen.problem(error, screen.element.querySelector("form.filters"));
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

export async function detailScreen(screen, webhookId, deliveryId) {
  const url = path("webhooks", webhookId, "deliveries", deliveryId);
  const attempts = h("div", { class: "attempts" });
  const render = (detail) => replace(attempts, [...detail.attempts].reverse().map(attemptSection));
  const button = h("button", { type: "button", class: "primary" }, "Redeliver");
  // One redelivery at a time: the button stays disabled while its attempt is followed.
  const redeliver = async () => {
    button.disabled = true;
    button.textContent = "Redelivering…";
    try {
      const { data: accepted } = await screen.api("POST", `${url}/redeliver`);
      screen.banner("info", `Redelivery queued as attempt ${accepted.attempt}.`);
      // The attempt appears once the deliver function has logged it; follow it until it is answered.
      await screen.poll(async () => {
        const { data: detail } = await screen.api("GET", url);
        render(detail);
        return detail.attempts.some((attempt) => attempt.attempt === accepted.attempt && answered(attempt));
      });
    } catch (error) {
      screen.problem(error);
    } finally {
      button.disabled = false;
      button.textContent = "Redeliver";
    }
  };
  button.addEventListener("click", redeliver);
  const { data: detail } = await screen.api("GET", url);
  render(detail);
  replace(
    screen.element,
    h("p", {}, h("a", { href: deliveriesHash(webhookId) }, "← Delivery log")),
    h("div", { class: "toolbar" }, h("h2", {}, detail.event, " delivery"), button),
    h("dl", { class: "ids" }, h("dt", {}, "Delivery id (webhook-id)"), h("dd", {}, h("code", {}, detail.delivery_id)), h("dt", {}, "Event id"), h("dd", {}, h("code", {}, detail.event_id))),
    attempts,
  );
}
