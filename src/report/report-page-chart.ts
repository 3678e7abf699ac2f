/**
 * Client-side JavaScript (as a string, inlined into the report page) for the DOM helpers, number
 * formatting and the funnel chart: grouped SVG bars sent → delivered → read → clicked per route
 * group, drawn by hand so the page needs no chart library and no external asset.
 *
 * Plain browser JavaScript, no backticks and no `${`: it lives inside String.raw so regular
 * expressions keep their backslashes. Every value reaches the DOM through textContent or
 * setAttribute, never innerHTML, so user data (template names, reasons) cannot inject markup.
 */

/** DOM helpers, formatting and `funnelChart(report, groups)`; defines functions used by the views. */
export const REPORT_PAGE_CHART_SCRIPT = String.raw`
var SVG_NS = 'http://www.w3.org/2000/svg';
var METRICS = ['sent', 'delivered', 'read', 'clicked'];
var GROUP_ORDER = ['lite', 'cloud', 'fallback', 'liteViaCloud'];

function append(el, children) {
  for (var i = 0; i < children.length; i++) {
    var c = children[i];
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return el;
}

function setAttrs(el, attrs) {
  for (var k in attrs) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

/** An HTML element: h('td', { class: 'num' }, [child, 'text']). */
function h(tag, attrs, children) {
  return append(setAttrs(document.createElement(tag), attrs || {}), children || []);
}

/** An SVG element. */
function s(tag, attrs, children) {
  return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs || {}), children || []);
}

function pct(rate) {
  return rate === null || rate === undefined ? '–' : (rate * 100).toFixed(1) + '%';
}

/** Percentage points with one decimal; ASCII minus, and never "-0.0". */
function points(fraction) {
  var text = (fraction * 100).toFixed(1);
  return text === '-0.0' ? '0.0' : text;
}

/** Points for prose: a real minus sign, as in "95% CI −1.0 to 2.2". */
function pointsProse(fraction) {
  return points(fraction).replace('-', '\u2212');
}

function durationText(seconds) {
  if (seconds === null || seconds === undefined) return 'unknown';
  if (seconds < 60) return Math.round(seconds) + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + Math.round(seconds % 60) + ' s';
  return Math.floor(seconds / 3600) + ' h ' + Math.round((seconds % 3600) / 60) + ' min';
}

function msText(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s';
}

function timeText(iso) {
  if (!iso) return '–';
  var d = new Date(iso);
  return isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The funnel groups present in the report, known ones first in a fixed order. */
function funnelGroups(funnel) {
  var keys = Object.keys(funnel || {});
  var known = GROUP_ORDER.filter(function (g) { return keys.indexOf(g) >= 0; });
  return known.concat(keys.filter(function (g) { return GROUP_ORDER.indexOf(g) < 0; }));
}

function groupLabel(group, route) {
  if (group === 'lite') return 'MM Lite';
  if (group === 'cloud') return route === 'split' ? 'Cloud API (holdout)' : 'Cloud API';
  if (group === 'fallback') return 'Fallback to Cloud API';
  if (group === 'liteViaCloud') return 'MM Lite delivered via Cloud API';
  return group;
}

/** The share of sent a metric reached: the funnel's own rate when it has one. */
function metricRate(row, metric) {
  if (metric === 'sent') return null;
  var given = row[metric + 'Rate'];
  if (typeof given === 'number') return given;
  return row.sent > 0 && typeof row[metric] === 'number' ? row[metric] / row.sent : null;
}

/** A round axis maximum at or above v (101 → 120), so the gridlines carry readable numbers. */
function niceMax(v) {
  if (v <= 4) return 4;
  var p = Math.pow(10, Math.floor(Math.log10(v)));
  var steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
  for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
  return 10 * p;
}

/** Words of a label in lines of at most width characters ("MM Lite delivered / via Cloud API"). */
function wrapWords(text, width) {
  var lines = [];
  String(text).split(' ').forEach(function (word) {
    var last = lines.length - 1;
    if (last >= 0 && (lines[last] + ' ' + word).length <= width) lines[last] += ' ' + word;
    else lines.push(word);
  });
  return lines;
}

/** Grouped bars per route group, scaled to the largest "sent"; null clicks drawn as a dashed n/a box. */
function funnelChart(report, groups) {
  var W = 880, H = 300, left = 48, right = 12, top = 28, bottom = 64;
  var plotW = W - left - right, plotH = H - top - bottom;
  var max = 0;
  groups.forEach(function (g) { max = Math.max(max, report.funnel[g].sent || 0); });
  max = niceMax(max);
  var y = function (v) { return top + plotH - (v / max) * plotH; };
  var svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Funnel per route: sent, delivered, read and clicked' });
  [0, 0.5, 1].forEach(function (f) {
    var v = Math.round(max * f);
    svg.appendChild(s('line', { class: f === 0 ? 'axis' : 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    svg.appendChild(s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', text: String(v) }));
  });
  var slot = plotW / Math.max(1, groups.length);
  var barW = Math.min(40, (slot - 28) / METRICS.length);
  groups.forEach(function (g, gi) {
    var row = report.funnel[g];
    var x0 = left + gi * slot + (slot - barW * METRICS.length) / 2;
    METRICS.forEach(function (m, mi) {
      var x = x0 + mi * barW + 2, w = barW - 4, v = row[m];
      var label = groupLabel(g, report.route) + ', ' + m + ': ';
      if (v === null || v === undefined) {
        svg.appendChild(s('rect', { class: 'na-bar', x: x, y: top + plotH - 24, width: w, height: 24 }, [s('title', { text: label + 'n/a (the Cloud API sends no click events)' })]));
        svg.appendChild(s('text', { x: x + w / 2, y: top + plotH - 30, 'text-anchor': 'middle', text: 'n/a' }));
        return;
      }
      var rate = metricRate(row, m);
      svg.appendChild(s('rect', { class: 'm-' + m, x: x, y: y(v), width: w, height: Math.max(0, top + plotH - y(v)) }, [s('title', { text: label + v + (rate === null ? '' : ' (' + pct(rate) + ' of sent)') })]));
      svg.appendChild(s('text', { x: x + w / 2, y: y(v) - 4, 'text-anchor': 'middle', text: m === 'sent' ? String(v) : pct(rate) }));
    });
    var cx = left + gi * slot + slot / 2;
    var lines = wrapWords(groupLabel(g, report.route), Math.max(8, Math.floor(slot / 8)));
    svg.appendChild(s('text', { class: 'group-label', x: cx, y: H - bottom + 18, 'text-anchor': 'middle' }, lines.map(function (line, li) {
      return s('tspan', { x: cx, dy: li === 0 ? 0 : 15, text: line });
    })));
    svg.appendChild(s('text', { x: cx, y: H - bottom + 22 + 15 * lines.length, 'text-anchor': 'middle', text: row.sent + ' sent' }));
  });
  var legend = h('div', { class: 'legend' }, METRICS.map(function (m) {
    return h('span', {}, [h('i', { class: 'sw-' + m }), m]);
  }));
  return h('div', {}, [svg, legend]);
}

/* Sends per second over time against the channel's limit: throttling and recovery show as dips. */
function paceChart(pace) {
  var W = 880, H = 220, left = 48, right = 12, top = 16, bottom = 32;
  var plotW = W - left - right, plotH = H - top - bottom;
  var series = pace.perSecond;
  var first = series[0][0], last = series[series.length - 1][0];
  var span = Math.max(1, last - first);
  var max = pace.mps;
  series.forEach(function (p) { max = Math.max(max, p[1]); });
  max = niceMax(max);
  var x = function (t) { return left + ((t - first) / span) * plotW; };
  var y = function (v) { return top + plotH - (v / max) * plotH; };
  var svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Sends per second over time against the limit of ' + pace.mps + ' messages per second' });
  [0, 0.5, 1].forEach(function (f) {
    var v = Math.round(max * f);
    svg.appendChild(s('line', { class: f === 0 ? 'axis' : 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    svg.appendChild(s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', text: String(v) }));
  });
  svg.appendChild(s('line', { class: 'limit-line', x1: left, x2: W - right, y1: y(pace.mps), y2: y(pace.mps) }, [s('title', { text: 'limit: ' + pace.mps + ' msg/s' })]));
  var byTime = {};
  series.forEach(function (p) { byTime[p[0]] = p[1]; });
  var path = [];
  for (var t = first; t <= last; t++) path.push((t === first ? 'M' : 'L') + x(t).toFixed(1) + ' ' + y(byTime[t] || 0).toFixed(1));
  svg.appendChild(s('path', { class: 'pace-line', d: path.join(' ') }));
  svg.appendChild(s('text', { x: left, y: H - 8, text: '0 s' }));
  svg.appendChild(s('text', { x: W - right, y: H - 8, 'text-anchor': 'end', text: span + ' s' }));
  return svg;
}
`;
