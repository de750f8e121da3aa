// The management API over fetch: bearer token, JSON bodies, problem+json errors as ApiProblem.
import { config } from "./config.js";

const TOKEN_KEY = "portal.bearer-token";

// The token lives in sessionStorage: gone when the tab closes, never written anywhere else.
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An API answer that is not a success, as RFC 9457 problem details (`errors: [{field, message}]`). */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.fieldErrors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/** Claims of the session's token, for display only (the API checks the token, not the portal). */
export function tokenClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

function problemOf(status, text) {
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === "object" && (body.title || body.detail)) return body;
  if (status === 401) return { title: "Unauthorized", detail: "The API refused the token: it is missing, expired or invalid." };
  const message = body && typeof body.message === "string" ? body.message : `HTTP ${status}`;
  return { title: message, detail: message };
}

// A success's body. Anything but JSON means something other than the API answered (a proxy's or a sign-in
// page, an apiUrl that is not the API's): said as such, not as an API that could not be reached.
function dataOf(response, text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    const type = response.headers.get("content-type") || "no content type";
    const detail = `The API answered HTTP ${response.status} with ${type}, which is not JSON (a proxy or a wrong apiUrl?).`;
    throw new ApiProblem(response.status, { title: "Unexpected answer", detail });
  }
}

/**
 * Calls the API; resolves to {data, etag, status}, rejects with ApiProblem (or TypeError when unreachable,
 * AbortError when `signal` is aborted). `query` entries that are empty are left out; `ifMatch` sends the
 * ETag a change is based on.
 */
export async function api(method, path, { body, query, ifMatch, signal } = {}) {
  const base = config.apiUrl ? config.apiUrl.replace(/\/$/, "") : window.location.origin;
  const url = new URL(base + path);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const token = config.tokenProvider ? await config.tokenProvider() : session.token();
  const headers = { accept: "application/json, application/problem+json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (ifMatch) headers["if-match"] = ifMatch;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
    signal,
  });
  const text = await response.text();
  if (!response.ok) throw new ApiProblem(response.status, problemOf(response.status, text));
  return { data: dataOf(response, text), etag: response.headers.get("etag"), status: response.status };
}

export const path = (...parts) => "/" + parts.map((part) => encodeURIComponent(part)).join("/");
