// Create and edit: name, URL, environment, events (grouped by entity, with wildcards), description, retries.
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

function buildForm(catalogue, webhook) {
  const text = (name, value, attributes = {}) => h("input", { id: `field-${name}`, name, value: value ?? "", ...attributes });
  const environment = h(
    "select",
    { id: "field-environment", name: "environment" },
    ENVIRONMENTS.map((env) => h("option", { value: env, selected: webhook ? webhook.environment === env : env === "production" }, env)),
  );
  const picker = eventsPicker(catalogue, webhook ? webhook.events : []);
  const retries = retryFields(webhook ? webhook.retry_policy : null);
  const enabled = h("input", { type: "checkbox", name: "enabled", checked: webhook ? webhook.enabled : true });
  const form = h(
    "form",
    { class: "webhook-form", novalidate: true },
    field("name", "Name", text("name", webhook && webhook.name, { maxlength: 100, autocomplete: "off" })),
    field("url", "Endpoint URL", text("url", webhook && webhook.url, { type: "url", placeholder: "https://example.com/webhooks" }), "https, on a public host (http only for development where allowed)."),
    field("environment", "Environment", environment),
    h("fieldset", { class: "field", "data-field": "events" }, h("legend", {}, "Events"), picker, h("p", { class: "field-error", role: "alert" })),
    field("description", "Description", h("textarea", { id: "field-description", name: "description", maxlength: 500, rows: 2, value: (webhook && webhook.description) || "" })),
    retries,
    field(
      "rate_limit_per_second",
      "Rate limit (POSTs a second)",
      h("input", { id: "field-rate_limit_per_second", type: "number", name: "rate_limit_per_second", min: 1, max: 1000, step: 1, value: webhook && webhook.rate_limit_per_second ? String(webhook.rate_limit_per_second) : "" }),
      "Empty: no limit. Events over it wait for the next second; none is dropped.",
    ),
    h("div", { class: "field", "data-field": "enabled" }, h("label", { class: "check" }, enabled, " Enabled"), h("p", { class: "field-error" })),
  );
  form.values = () => {
    const description = form.querySelector("[name=description]").value.trim();
    return {
      name: form.querySelector("[name=name]").value,
      url: form.querySelector("[name=url]").value.trim(),
      environment: environment.value,
      events: picker.selection(),
      description: description || null,
      retry_policy: retries.policy(),
      rate_limit_per_second: rateLimit(form.querySelector("[name=rate_limit_per_second]").value),
      enabled: enabled.checked,
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
  const form = buildForm(catalogue, webhook);
  const submit = h("button", { type: "submit", class: "primary" }, editing ? "Save changes" : "Create webhook");
  const remove = editing ? h("button", { type: "button", class: "danger push-right", onclick: () => deleteDialog(screen, webhook, etag, navigate) }, "Delete…") : null;
  form.append(h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/webhooks" }, "Cancel"), remove));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      const values = form.values();
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
      replace(screen.element, secretPanel(`${data.name} is created`, data.secret, () => navigate("#/webhooks")));
    } catch (error) {
      if (error.status === 412) showConflict(screen);
      else screen.problem(error, form);
    } finally {
      submit.disabled = false;
    }
  });
  replace(screen.element, h("h2", {}, editing ? `Edit ${webhook.name}` : "New webhook"), form);
}
