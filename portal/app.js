// The portal's shell: token, header, and a hash router over the screens.
import { api, ApiProblem, session, tokenClaims } from "./api.js";
import { config } from "./config.js";
import { detailScreen, logScreen } from "./deliveries.js";
import { clearBanner, h, replace, showBanner, showProblem } from "./dom.js";
import { historyScreen } from "./history.js";
import { Screen } from "./screen.js";
import { formScreen } from "./webhook_form.js";
import { listScreen } from "./webhooks.js";

const view = document.getElementById("view");
let catalogue = null;
let keepBanner = false;
let currentScreen = null; // the Screen of the latest navigation

// `keepBanner`: a confirmation shown just before navigating ("… is saved.") stays on the next screen.
const navigate = (hash, { keepBanner: keep = false } = {}) => {
  if (window.location.hash === hash) return route();
  keepBanner = keep;
  window.location.hash = hash;
};

async function events() {
  if (!catalogue) catalogue = (await api("GET", "/events")).data.items;
  return catalogue;
}

function renderSession() {
  const slot = document.getElementById("session");
  const token = session.token();
  if (config.tokenProvider || !token) return replace(slot);
  const claims = tokenClaims(token);
  const signOut = () => {
    session.clear();
    catalogue = null;
    clearBanner();
    navigate("#/webhooks");
  };
  replace(slot, h("span", { class: "muted" }, claims.sub || "signed in"), h("button", { type: "button", onclick: signOut }, "Sign out"));
}

function tokenScreen(message) {
  renderSession();
  const input = h("textarea", { id: "field-token", name: "token", rows: 4, spellcheck: false, autocomplete: "off" });
  const form = h(
    "form",
    { class: "token-form" },
    h("h2", {}, "Sign in"),
    h("div", { class: "field", "data-field": "token" },
      h("label", { for: "field-token" }, "Bearer token of an admin"),
      input,
      h("p", { class: "hint" }, "Local stack: paste the output of ", h("code", {}, "make token ACCOUNT=acme ROLE=admin"), ". A deployment signs in through the identity provider instead."),
      h("p", { class: "field-error", role: "alert" }, message || "")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Use token")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    session.save(input.value.trim());
    try {
      await events();
      clearBanner();
      route();
    } catch (error) {
      session.clear();
      if (error instanceof ApiProblem) form.querySelector(".field-error").textContent = error.message;
      else showProblem(error);
    }
  });
  replace(view, form);
}

// "#/webhooks/ID/deliveries?status=failed" -> ["webhooks", "ID", "deliveries"], {status: "failed"}
function parseHash() {
  const [route, query = ""] = window.location.hash.replace(/^#\/?/, "").split("?");
  const parts = route.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, query: Object.fromEntries(new URLSearchParams(query)) };
}

// Each navigation leaves the screen shown before (its reads and polls stop) and draws into a new element of
// its own, so a screen that is still loading when the admin moves on can never replace the one after it.
async function route() {
  if (currentScreen) currentScreen.leave();
  currentScreen = null;
  if (!config.tokenProvider && !session.token()) return tokenScreen();
  renderSession();
  const { parts, query } = parseHash();
  const [root, id, section, deliveryId] = parts;
  if (root !== "webhooks" && root !== undefined) return navigate("#/webhooks");
  const screen = new Screen();
  currentScreen = screen;
  replace(view, screen.element);
  try {
    if (id === "new") return await formScreen(screen, await events(), null, navigate);
    if (id && section === "edit") return await formScreen(screen, await events(), id, navigate);
    if (id && section === "history") return await historyScreen(screen, id);
    if (id && section === "deliveries" && deliveryId) return await detailScreen(screen, id, deliveryId);
    if (id && section === "deliveries") return await logScreen(screen, await events(), id, query, navigate);
    return await listScreen(screen);
  } catch (error) {
    if (!screen.shown) return;
    if (error instanceof ApiProblem && error.status === 401 && !config.tokenProvider) {
      screen.leave();
      session.clear();
      return tokenScreen("The API refused the token (expired or invalid): paste a new one.");
    }
    replace(screen.element, h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")));
    showProblem(error);
  }
}

window.addEventListener("hashchange", () => {
  if (!keepBanner) clearBanner();
  keepBanner = false;
  route();
});

if (!window.location.hash) window.location.replace("#/webhooks");
route().catch((error) => showBanner("error", String(error)));
