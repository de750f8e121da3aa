// A webhook's health in pictures, drawn as SVG from the API's hourly counters: its badge, the list's
// sparkline of its last day (from the list call itself), and its page's 7-day chart of POSTs per hour
// (succeeded and failed, stacked) with their p95 duration.
import { path } from "./api.js";
import { h, replace, svg, when } from "./dom.js";

// Below this share of successes over the last day a webhook whose circuit is closed is called degraded:
// answers the circuit does not count (4xx) fail its deliveries all the same.
const HEALTHY_SUCCESS_RATE = 0.95;

const percent = (rate) => `${Math.floor(rate * 1000) / 10}%`;
const duration = (ms) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);
const attempts = (hour) => hour.succeeded + hour.failed;

/** "healthy", "degraded", "down" (its circuit is open) or "disabled", with the badge that shows it. */
export function healthBadge(webhook) {
  const endpoint = webhook.endpoint;
  const rate = endpoint.success_rate_24h;
  let health = "healthy";
  if (!webhook.enabled) health = "disabled";
  else if (endpoint.state === "circuit_open") health = "down";
  else if (endpoint.state !== "healthy" || (rate !== null && rate < HEALTHY_SUCCESS_RATE)) health = "degraded";
  return h("span", { class: `badge health ${health}`, "data-testid": "health" }, health);
}

/** The last day in words: share succeeded, last success and last failure. */
export function daySummary(endpoint) {
  const rate = endpoint.attempts_24h
    ? `${percent(endpoint.success_rate_24h)} of ${endpoint.attempts_24h} succeeded in 24 h`
    : "no POSTs in 24 h";
  const last = (label, at) => (at ? h("span", {}, ` · last ${label} `, when(at)) : null);
  return h("span", { class: "day-summary" }, rate, last("success", endpoint.last_success_at), last("failure", endpoint.last_failure_at));
}

/** The last 24 hours (oldest first) as small stacked bars: succeeded below, failed above. */
export function sparkline(hours) {
  const width = 120;
  const height = 26;
  const step = width / 24;
  const peak = Math.max(1, ...hours.map(attempts));
  const bars = hours.map((hour, index) => stackedBar(hour, index * step, step - 1, height, (count) => (count / peak) * height));
  const failed = hours.reduce((sum, hour) => sum + hour.failed, 0);
  const label = `Last 24 hours: ${hours.reduce((sum, hour) => sum + hour.succeeded, 0)} succeeded, ${failed} failed`;
  return svg(
    "svg",
    { class: "sparkline", "data-testid": "sparkline", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
    svg("title", {}, label),
    svg("line", { class: "baseline", x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5 }),
    bars,
  );
}

// One hour's bar: succeeded from the bottom, failed stacked on it; `scale` turns a count into a height.
function stackedBar(hour, x, width, bottom, scale, title = null) {
  const ok = scale(hour.succeeded);
  const bad = scale(hour.failed);
  return svg(
    "g",
    { class: "hour" },
    title ? svg("title", {}, title) : null,
    hour.succeeded ? svg("rect", { class: "succeeded", x, width, y: bottom - ok, height: ok }) : null,
    hour.failed ? svg("rect", { class: "failed", x, width, y: bottom - ok - bad, height: bad }) : null,
  );
}

// A round number at or above `value` (1, 2 or 5 times a power of ten), for an axis's top.
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  return [1, 2, 5, 10].map((factor) => factor * power).find((top) => top >= value);
}

const hourTitle = (hour) =>
  `${when(hour.hour)}: ${hour.succeeded} succeeded, ${hour.failed} failed` +
  (hour.p95_ms === null ? "" : `, p95 ${duration(hour.p95_ms)}`);

/** The stats route's hours (oldest first): stacked bars of POSTs on the left axis, p95 duration on the right. */
export function healthChart(hours) {
  const [width, height] = [960, 220];
  const [left, right, top, bottom] = [44, 56, 10, 26];
  const plotWidth = width - left - right;
  const base = height - bottom;
  const step = plotWidth / Math.max(hours.length, 1);
  const countTop = niceCeiling(Math.max(1, ...hours.map(attempts)));
  const msTop = niceCeiling(Math.max(1, ...hours.map((hour) => hour.p95_ms ?? 0)));
  const countY = (count) => (count / countTop) * (base - top);
  const msY = (ms) => base - (ms / msTop) * (base - top);
  const bars = hours.map((hour, index) => stackedBar(hour, left + index * step, Math.max(step - 0.6, 0.6), base, countY, hourTitle(hour)));
  // The p95 line breaks over hours without a POST.
  let pen = "M";
  const line = hours
    .map((hour, index) => {
      if (hour.p95_ms === null) {
        pen = "M";
        return "";
      }
      const point = `${pen}${(left + (index + 0.5) * step).toFixed(1)},${msY(hour.p95_ms).toFixed(1)}`;
      pen = "L";
      return point;
    })
    .join(" ");
  const days = hours
    .map((hour, index) => ({ at: new Date(hour.hour), index }))
    .filter(({ at }) => at.getHours() === 0)
    .map(({ at, index }) => [
      svg("line", { class: "day", x1: left + index * step, x2: left + index * step, y1: top, y2: base }),
      svg("text", { x: left + index * step + 3, y: height - 8 }, at.toLocaleDateString(undefined, { weekday: "short", day: "numeric" })),
    ]);
  const axis = (x, anchor, label, y) => svg("text", { x, y, "text-anchor": anchor, class: "axis" }, label);
  return h(
    "figure",
    { class: "health-chart", "data-testid": "health-chart" },
    svg(
      "svg",
      { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "POSTs per hour over 7 days, succeeded and failed, with p95 duration" },
      svg("line", { class: "baseline", x1: left, x2: left + plotWidth, y1: base, y2: base }),
      days,
      bars,
      svg("path", { class: "p95", d: line }),
      axis(left - 6, "end", countTop, top + 8),
      axis(left - 6, "end", 0, base),
      axis(left + plotWidth + 6, "start", duration(msTop), top + 8),
      axis(left + plotWidth + 6, "start", "0 ms", base),
    ),
    h(
      "figcaption",
      { class: "legend" },
      h("span", { class: "swatch succeeded" }), "succeeded ",
      h("span", { class: "swatch failed" }), "failed (POSTs per hour, left axis) ",
      h("span", { class: "swatch p95" }), "p95 duration (right axis)",
    ),
  );
}

/** The webhook page's health: badge and last day in words at once, the 7-day chart when its counters are read. */
export function healthPanel(screen, webhook) {
  const chart = h("div", { class: "chart-slot" }, h("p", { class: "muted" }, "Loading the last 7 days…"));
  screen
    .api("GET", path("webhooks", webhook.webhook_id, "stats"))
    .then(({ data }) => replace(chart, healthChart(data.hours)))
    .catch((error) => {
      if (screen.shown) replace(chart, h("p", { class: "muted" }, `The chart could not be read: ${error.message}`));
    });
  return h(
    "section",
    { class: "health-panel" },
    h("h3", {}, "Health ", healthBadge(webhook)),
    h("p", { class: "muted" }, daySummary(webhook.endpoint)),
    chart,
  );
}
