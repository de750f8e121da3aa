// Create and edit: name, URL, environment, events (grouped by entity, with wildcards), description, retries,
// rate limit and payload filter (tried on the catalogue's examples with POST /webhooks/filter-test).
import { path } from "./api.js";
import { clearBanner, clearFieldErrors, h, openDialog, replace, showBanner } from "./dom.js";
import { secretPanel } from "./webhooks.js";

const ENVIRONMENTS = ["production", "staging", "development"];
const RETRY_DEFAULTS = { max_attempts: 3, initial_backoff_seconds: 30, max_backoff_seconds: 3600 };

function field(name, label, control, hint) {
  return h(
    "div",
    { class: "field", "data-field": name },
    h("label", { for: `field-${name}` }, label),
    control,
    hint ? h("p", { class: "hint" }, hint) : null,
    h("p", { class: "field-error", role: "alert" }),
  );
}

function checkbox(value, label, checked, title) {
  return h("label", { class: "check", title }, h("input", { type: "checkbox", value, checked }), " ", label);
}

/** The events picker: `*`, then per entity `<entity>.*` and its events; a wildcard covers what it matches. */
function eventsPicker(catalogue, selected) {
  const chosen = new Set(selected);
  const entities = [...new Set(catalogue.map((event) => event.entity))];
  const groups = entities.map((entity) =>
    h(
      "fieldset",
      { class: "entity", "data-entity": entity },
      h("legend", {}, entity),
      checkbox(`${entity}.*`, `every ${entity} event (${entity}.*)`, chosen.has(`${entity}.*`)),
      catalogue
        .filter((event) => event.entity === entity)
        .map((event) => checkbox(event.name, event.name, chosen.has(event.name), event.description)),
    ),
  );
  const picker = h("div", { class: "events-picker" }, checkbox("*", "every event (*)", chosen.has("*")), groups);
  const boxes = () => [...picker.querySelectorAll("input[type=checkbox]")];
  const covered = () => {
    const all = boxes().find((box) => box.value === "*").checked;
    for (const box of boxes()) {
      if (box.value === "*") continue;
      const wildcard = box.value.endsWith(".*") ? null : boxes().find((other) => other.value === `${box.value.split(".")[0]}.*`);
      box.disabled = all || Boolean(wildcard && wildcard.checked);
    }
  };
  picker.addEventListener("change", covered);
  covered();
  picker.selection = () => boxes().filter((box) => box.checked && !box.disabled).map((box) => box.value);
  return picker;
}

/** The rate limit as typed: null when empty; anything else as a number, so the API names what is wrong with it. */
function rateLimit(typed) {
  return typed.trim() === "" ? null : Number(typed);
}

function retryFields(policy) {
  const enabled = h("input", { type: "checkbox", name: "retry", checked: Boolean(policy) });
  const values = policy || RETRY_DEFAULTS;
  const number = (name, label, min, max) =>
    field(`retry_policy.${name}`, label, h("input", { id: `field-retry_policy.${name}`, type: "number", name, min, max, value: String(values[name]) }));
  const settings = h(
    "div",
    { class: "retry-settings", hidden: !policy },
    number("max_attempts", "Attempts in all", 1, 10),
    number("initial_backoff_seconds", "First backoff (seconds)", 1, 900),
    number("max_backoff_seconds", "Longest backoff (seconds)", 1, 43200),
  );
  enabled.addEventListener("change", () => { settings.hidden = !enabled.checked; });
  const container = h(
    "fieldset",
    { class: "field", "data-field": "retry_policy" },
    h("legend", {}, "Retries"),
    h("label", { class: "check" }, enabled, " Retry failed deliveries with backoff (off: one attempt per event)"),
    settings,
    h("p", { class: "field-error", role: "alert" }),
  );
  container.policy = () =>
    enabled.checked
      ? Object.fromEntries([...settings.querySelectorAll("input")].map((input) => [input.name, Number(input.value)]))
      : null;
  return container;
}

const FILTER_EXAMPLE = '{"payload": {"product_id": {"$in": ["prod_a", "prod_b"]}, "seats": {"$gte": 10}}}';

/** The payload filter as JSON text, and a "try this filter" against the catalogue's example of an event. */
function filterField(screen, catalogue, webhook, theForm) {
  const text = h("textarea", {
    id: "field-filter", name: "filter", rows: 4, spellcheck: false, placeholder: FILTER_EXAMPLE,
    value: webhook && webhook.filter ? JSON.stringify(webhook.filter, null, 2) : "",
  });
  const event = h("select", { name: "filter-event", "aria-label": "Example event" }, catalogue.map((entry) => h("option", { value: entry.name }, entry.name)));
  const result = h("p", { class: "filter-result", role: "status" });
  const container = field(
    "filter",
    "Payload filter (JSON)",
    text,
    "Empty: every event. Only bodies that match are delivered; see docs/payload-filters.md for the operators.",
  );
  const slot = container.querySelector(".field-error");
  // The filter typed, as a value (null when empty), or undefined with the error shown when it is not JSON.
  container.filter = () => {
    if (text.value.trim() === "") return null;
    try {
      return JSON.parse(text.value);
    } catch (error) {
      slot.textContent = `Not valid JSON: ${error.message}`;
      container.classList.add("invalid");
      return undefined;
    }
  };
  const tryIt = async () => {
    const form = theForm();
    clearFieldErrors(form);
    result.textContent = "";
    const filter = container.filter();
    if (filter === undefined) return;
    try {
      const { data } = await screen.api("POST", "/webhooks/filter-test", { body: { filter: filter ?? {}, event: event.value } });
      const failed = data.failed_clause;
      result.textContent = data.matches
        ? `The example of ${event.value} matches.`
        : `The example of ${event.value} does not match at ${failed.location}: it asks ${JSON.stringify(failed.clause)}, the example has ${failed.present ? JSON.stringify(failed.found) : "nothing there"}.`;
      result.dataset.matches = String(data.matches);
    } catch (error) {
      screen.problem(error, form);
    }
  };
  container.insertBefore(
    h("div", { class: "filter-try" }, event, h("button", { type: "button", class: "try-filter", onclick: tryIt }, "Try this filter"), result),
    container.querySelector(".hint"),
  );
  return container;
}

function buildForm(screen, catalogue, webhook) {
  const text = (name, value, attributes = {}) => h("input", { id: `field-${name}`, name, value: value ?? "", ...attributes });
  const environment = h(
    "select",
    { id: "field-environment", name: "environment" },
    ENVIRONMENTS.map((env) => h("option", { value: env, selected: webhook ? webhook.environment === env : env === "production" }, env)),
  );
  const picker = eventsPicker(catalogue, webhook ? webhook.events : []);
  const retries = retryFields(webhook ? webhook.retry_policy : null);
  const scheme = h(
    "select",
    { id: "field-signature_scheme", name: "signature_scheme" },
    h("option", { value: "v1", selected: true }, "v1: HMAC-SHA256 with a shared secret (whsec_)"),
    h("option", { value: "v1a" }, "v1a: Ed25519, verified with a public key (whpk_)"),
  );
  const enabled = h("input", { type: "checkbox", name: "enabled", checked: webhook ? webhook.enabled : true });
  const payloadFilter = filterField(screen, catalogue, webhook, () => form);
  const form = h(
    "form",
    { class: "webhook-form", novalidate: true },
    field("name", "Name", text("name", webhook && webhook.name, { maxlength: 100, autocomplete: "off" })),
    field("url", "Endpoint URL", text("url", webhook && webhook.url, { type: "url", placeholder: "https://example.com/webhooks" }), "https, on a public host (http only for development where allowed)."),
    field("environment", "Environment", environment),
    webhook ? null : field("signature_scheme", "Signatures", scheme, "v1a: receivers verify with a public key, and nobody else can sign. Switch later with Rotate secret."),
    h("fieldset", { class: "field", "data-field": "events" }, h("legend", {}, "Events"), picker, h("p", { class: "field-error", role: "alert" })),
    field("description", "Description", h("textarea", { id: "field-description", name: "description", maxlength: 500, rows: 2, value: (webhook && webhook.description) || "" })),
    retries,
    field(
      "rate_limit_per_second",
      "Rate limit (POSTs a second)",
      h("input", { id: "field-rate_limit_per_second", type: "number", name: "rate_limit_per_second", min: 1, max: 1000, step: 1, value: webhook && webhook.rate_limit_per_second ? String(webhook.rate_limit_per_second) : "" }),
      "Empty: no limit. Events over it wait for the next second; none is dropped.",
    ),
    payloadFilter,
    h("div", { class: "field", "data-field": "enabled" }, h("label", { class: "check" }, enabled, " Enabled"), h("p", { class: "field-error" })),
  );
  // The values to send, or null when one cannot be sent as typed (its error is shown).
  form.values = () => {
    const description = form.querySelector("[name=description]").value.trim();
    const filter = payloadFilter.filter();
    if (filter === undefined) return null;
    return {
      name: form.querySelector("[name=name]").value,
      url: form.querySelector("[name=url]").value.trim(),
      environment: environment.value,
      events: picker.selection(),
      description: description || null,
      retry_policy: retries.policy(),
      rate_limit_per_second: rateLimit(form.querySelector("[name=rate_limit_per_second]").value),
      filter,
      enabled: enabled.checked,
      ...(webhook ? {} : { signature_scheme: scheme.value }),
    };
  };
  return form;
}

// "This webhook changed since you opened it": a 412 on an If-Match write.
function showConflict(screen) {
  screen.banner("error", "This webhook changed since you opened it. ", h("button", { type: "button", class: "link", onclick: () => window.location.reload() }, "Reload it"), " and make your change again.");
}

/** Asks before deleting; the DELETE names the version the admin saw, so a concurrent change is not lost. */
function deleteDialog(screen, webhook, etag, navigate) {
  openDialog("confirm", {
    title: ["Delete ", webhook.name, "?"],
    body: h("p", {}, "It stops receiving events at once and cannot be restored. Its delivery log is kept until it expires."),
    confirm: "Delete webhook",
    confirmClass: "danger",
    onConfirm: async (close) => {
      try {
        await screen.api("DELETE", path("webhooks", webhook.webhook_id), { ifMatch: etag });
        close();
        if (!screen.shown) return;
        showBanner("info", `${webhook.name} is deleted.`);
        navigate("#/webhooks", { keepBanner: true });
      } catch (error) {
        close();
        if (error.status === 412) showConflict(screen);
        else screen.problem(error);
      }
    },
  });
}

export async function formScreen(screen, catalogue, webhookId, navigate) {
  const editing = Boolean(webhookId);
  let webhook = null;
  let etag = null;
  if (editing) ({ data: webhook, etag } = await screen.api("GET", path("webhooks", webhookId)));
  const form = buildForm(screen, catalogue, webhook);
  const submit = h("button", { type: "submit", class: "primary" }, editing ? "Save changes" : "Create webhook");
  const remove = editing ? h("button", { type: "button", class: "danger push-right", onclick: () => deleteDialog(screen, webhook, etag, navigate) }, "Delete…") : null;
  form.append(h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/webhooks" }, "Cancel"), remove));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      const values = form.values();
      if (values === null) return;
      if (editing) {
        await screen.api("PATCH", path("webhooks", webhookId), { body: values, ifMatch: etag });
        if (!screen.shown) return;
        showBanner("info", `${values.name} is saved.`);
        navigate("#/webhooks", { keepBanner: true });
        return;
      }
      if (values.description === null) delete values.description;
      const { data } = await screen.api("POST", "/webhooks", { body: values });
      if (!screen.shown) return;
      clearBanner();
      replace(screen.element, secretPanel(`${data.name} is created`, data, () => navigate("#/webhooks")));
    } catch (error) {
      if (error.status === 412) showConflict(screen);
      else screen.problem(error, form);
    } finally {
      submit.disabled = false;
    }
  });
  replace(screen.element, h("h2", {}, editing ? `Edit ${webhook.name}` : "New webhook"), form);
}
