/**
 * Client-side JavaScript (as a string, inlined into the report page) that renders one campaign:
 * state, counts, progress, the funnel (chart and table), the MM Lite vs Cloud API comparison,
 * errors by code and rejected rows. Shared by live mode (data from the API) and static mode (data
 * embedded in the page), so both show exactly the same view.
 *
 * Same rules as report-page-chart.ts: plain JavaScript inside String.raw, no backticks, no `${`,
 * values into the DOM only through textContent/setAttribute. Numbers a test reads carry a
 * data-testid and hold the plain number as their whole text.
 */

/** `campaignView(report, opts)` and its sections; needs the helpers of REPORT_PAGE_CHART_SCRIPT. */
export const REPORT_PAGE_VIEWS_SCRIPT = String.raw`
var COUNT_LABELS = [
  ['total', 'Total'], ['pending', 'Pending'], ['sent', 'Sent'], ['sentLite', 'Sent via MM Lite'], ['sentCloud', 'Sent via Cloud API'],
  ['fallbacks', 'Fallbacks'], ['failed', 'Failed'], ['expired', 'Expired'], ['suppressed', 'Suppressed'], ['skipped', 'Skipped (rejected)'],
  ['cancelled', 'Cancelled'], ['unknown', 'Unknown'], ['capped', 'Capped (frequency cap)'], ['delivered', 'Delivered'], ['read', 'Read'], ['clicked', 'Clicked (estimated)'], ['held', 'Held by Meta'], ['ttlDropped', 'Fallbacks without TTL']
];
var ACTIVE_STATES = ['scheduled', 'running', 'paused'];
var NO_CLICKS = 'the Cloud API sends no click events';

function isActive(state) { return ACTIVE_STATES.indexOf(state) >= 0; }

function progressBar(done, total, big) {
  var inner = h('div');
  inner.style.width = (total > 0 ? Math.min(100, (done / total) * 100) : 0).toFixed(1) + '%';
  return h('div', { class: big ? 'bar big' : 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done }, [inner]);
}

function stateBadge(state) {
  return h('span', { class: 'badge ' + state, 'data-testid': 'state', text: state });
}

function headerSection(report, opts) {
  var t = report.template || {};
  var route = report.route === 'split' && report.comparison && typeof report.comparison.cloudShare === 'number'
    ? 'split (' + report.comparison.cloudShare + '% Cloud API holdout)' : report.route;
  return h('section', {}, [
    h('h2', {}, ['Campaign ', h('code', { text: report.id }), ' ', stateBadge(report.state)]),
    report.reason ? h('div', { class: report.state === 'paused' ? 'notice' : 'banner', 'data-testid': 'reason' }, [report.state === 'paused' ? 'Paused: ' : 'Reason: ', report.reason]) : null,
    h('div', { class: 'meta' }, [
      h('span', {}, ['Template ', h('strong', { text: t.name }), ' (' + (t.language || '?') + ')']),
      h('span', {}, ['Channel ', h('strong', { text: report.channelId })]),
      h('span', {}, ['Route ', h('strong', { text: route })]),
      h('span', { text: 'Created ' + timeText(report.createdAt) }),
      report.startedAt ? h('span', { text: 'Started ' + timeText(report.startedAt) }) : h('span', { text: 'Starts ' + timeText(report.startAt) }),
      report.finishedAt ? h('span', { text: 'Finished ' + timeText(report.finishedAt) }) : null
    ]),
    opts.mode === 'static'
      ? h('p', { class: 'notice', 'data-testid': 'generated' }, ['Snapshot generated ' + timeText(opts.generatedAt) + ' (' + opts.generatedAt + ') by litecast campaign report; the numbers do not change.'])
      : h('p', { class: 'muted small' }, [isActive(report.state) ? 'Live: refreshes every 2 seconds. ' : 'Deliveries, reads and clicks keep arriving after the campaign ends: refreshed every 30 seconds. ', 'Updated ' + new Date().toLocaleTimeString() + '.'])
  ]);
}

function progressSection(report) {
  var c = report.counts;
  var done = c.total - c.pending;
  return h('section', {}, [
    h('h3', { text: 'Progress' }),
    progressBar(done, c.total, true),
    h('div', { class: 'meta' }, [
      h('span', { text: done + ' of ' + c.total + ' done (' + (c.total > 0 ? ((done / c.total) * 100).toFixed(1) : '0.0') + '%)' }),
      h('span', { text: 'Rate ' + report.ratePerSecond + '/s' }),
      h('span', { text: 'ETA ' + (c.pending === 0 ? 'done' : durationText(report.etaSeconds)) }),
      report.intakeDone === false ? h('span', { text: 'Still reading the recipient file' }) : null
    ]),
    timingLine(report)
  ]);
}

/** Send window, recipients waiting for it, and projected expiries (when any of them applies). */
function timingLine(report) {
  var waiting = report.waitingForWindow || 0;
  var expiring = report.projectedExpiries || 0;
  if (!report.sendWindow && expiring === 0) return null;
  return h('div', { class: 'meta' }, [
    report.sendWindow ? h('span', {}, ['Send window ' + report.sendWindow + ' local time; waiting for the window: ', h('strong', { 'data-testid': 'waiting-for-window', text: String(waiting) })]) : null,
    h('span', { class: expiring > 0 ? 'notice' : '' }, ['Projected expiries: ', h('strong', { 'data-testid': 'projected-expiries', text: String(expiring) })])
  ]);
}

function countsSection(report) {
  return h('section', {}, [
    h('h3', { text: 'Counts' }),
    h('div', { class: 'tiles' }, COUNT_LABELS.filter(function (e) { return e[0] in report.counts; }).map(function (e) {
      return h('div', { class: 'tile' }, [h('div', { class: 'label', text: e[1] }), h('div', { class: 'value', 'data-testid': 'count-' + e[0], text: String(report.counts[e[0]]) })]);
    }))
  ]);
}

function metricCell(group, metric, row) {
  var v = row[metric];
  if (v === null || v === undefined) {
    return h('td', { class: 'num' }, [h('span', { class: 'na', 'data-testid': 'funnel-' + group + '-' + metric, text: 'n/a' }), h('span', { class: 'rate', text: '— ' + NO_CLICKS })]);
  }
  var rate = metricRate(row, metric);
  return h('td', { class: 'num' }, [h('span', { 'data-testid': 'funnel-' + group + '-' + metric, text: String(v) }), metric === 'sent' ? null : h('span', { class: 'rate', text: pct(rate) })]);
}

function funnelSection(report) {
  var groups = funnelGroups(report.funnel);
  if (groups.length === 0) return null;
  return h('section', {}, [
    h('h3', { text: 'Funnel per route' }),
    funnelChart(report, groups),
    h('table', { 'data-testid': 'funnel-table' }, [
      h('thead', {}, [h('tr', {}, [h('th', { text: 'Route' })].concat(METRICS.map(function (m) { return h('th', { class: 'num', text: m }); }), [h('th', { text: 'Failed (by code)' }), h('th', { class: 'num', text: 'Delivery median / p90' })]))]),
      h('tbody', {}, groups.map(function (g) {
        var row = report.funnel[g];
        var codes = Object.keys(row.failedByCode || {}).map(function (code) { return code + ' × ' + row.failedByCode[code]; }).join(', ');
        return h('tr', { 'data-group': g }, [h('th', { text: groupLabel(g, report.route) })].concat(
          METRICS.map(function (m) { return metricCell(g, m, row); }),
          [h('td', { text: String(row.failed || 0) + (codes ? ' (' + codes + ')' : '') }),
            h('td', { class: 'num', text: row.deliveryMs ? msText(row.deliveryMs.median) + ' / ' + msText(row.deliveryMs.p90) : '–' })]
        ));
      }))
    ])
  ]);
}

/** "MM Lite delivered 2.1 points more (95% CI 0.4 to 3.8): a real difference". */
function verdictText(kind, d) {
  var what = kind === 'delivered' ? 'delivery' : 'read';
  if (!d || d.difference === null || d.difference === undefined) return 'Not enough messages on both routes yet to compare the ' + what + ' rates.';
  var size = points(Math.abs(d.difference));
  var dir = d.difference > 0 ? 'more' : 'less';
  var head = size === '0.0' ? (kind === 'delivered' ? 'MM Lite delivered the same share (0.0 points difference)' : 'MM Lite messages were read as often (0.0 points difference)')
    : kind === 'delivered' ? 'MM Lite delivered ' + size + ' points ' + dir : 'MM Lite messages were read ' + size + ' points ' + dir + ' often';
  if (!d.ci95) return head + ' (no confidence interval yet).';
  return head + ' (95% CI ' + pointsProse(d.ci95[0]) + ' to ' + pointsProse(d.ci95[1]) + '): ' + (d.significant ? 'a real difference' : 'could be noise');
}

function comparisonRow(kind, label, d) {
  d = d || {};
  var diff = typeof d.difference === 'number' ? points(d.difference) : 'n/a';
  return h('tr', {}, [
    h('th', { text: label }),
    h('td', { class: 'num', text: pct(d.lite) }),
    h('td', { class: 'num', text: pct(d.cloud) }),
    h('td', { class: 'num' }, [h('span', { 'data-testid': 'comparison-' + kind + '-difference', 'data-value': typeof d.difference === 'number' ? d.difference : '', text: diff }), diff === 'n/a' ? null : h('span', { class: 'rate', text: 'points' })]),
    h('td', { class: 'num', text: d.ci95 ? pointsProse(d.ci95[0]) + ' to ' + pointsProse(d.ci95[1]) : '–' }),
    h('td', { text: d.difference === null || d.difference === undefined ? '–' : d.significant ? 'real difference' : 'could be noise' })
  ]);
}

function comparisonSection(report) {
  var c = report.comparison;
  if (!c || typeof c !== 'object') return null;
  var cloud = groupLabel('cloud', report.route);
  var ms = c.deliveryMs || {};
  var timing = function (name, t) { return h('span', { text: name + ': median ' + (t ? msText(t.median) + ', p90 ' + msText(t.p90) : '–') }); };
  return h('section', { 'data-testid': 'comparison' }, [
    h('h3', { text: 'MM Lite vs ' + cloud + (typeof c.cloudShare === 'number' ? ' (' + c.cloudShare + '% of recipients held out to the Cloud API)' : '') }),
    h('table', {}, [
      h('thead', {}, [h('tr', {}, [h('th', { text: 'Rate' }), h('th', { class: 'num', text: 'MM Lite' }), h('th', { class: 'num', text: cloud }), h('th', { class: 'num', text: 'Difference' }), h('th', { class: 'num', text: '95% CI (points)' }), h('th', { text: 'Verdict' })])]),
      h('tbody', {}, [comparisonRow('delivered', 'Delivered', c.deliveredRate), comparisonRow('read', 'Read', c.readRate)])
    ]),
    ['delivered', 'read'].map(function (kind) {
      var d = kind === 'delivered' ? c.deliveredRate : c.readRate;
      return h('p', { class: 'verdict' + (d && d.significant ? ' real' : ''), 'data-testid': 'comparison-' + kind + '-verdict', text: verdictText(kind, d) });
    }),
    h('div', { class: 'meta' }, ['Time to delivered — ', timing('MM Lite', ms.lite), timing(cloud, ms.cloud)])
  ]);
}

function routingNotes(report) {
  var notes = [];
  if (report.contamination) notes.push(h('p', { class: 'verdict', 'data-testid': 'contamination', text: 'Contaminated holdout: ' + report.contamination.warning }));
  if (report.clicks) notes.push(h('p', { class: 'meta', 'data-testid': 'clicks-estimate', text: 'MM Lite clicks: ' + report.clicks.estimated + ' (estimated; ' + report.clicks.channelClicks + ' on the channel). How: ' + report.clicks.method + '.' }));
  return notes.length ? h('section', {}, notes) : null;
}

function errorsSection(report) {
  var errors = report.errorsByCode || [];
  return h('section', {}, [
    h('h3', { text: 'Errors by code' }),
    errors.length === 0 ? h('p', { class: 'muted', text: 'No errors.' }) : h('table', {}, [
      h('thead', {}, [h('tr', {}, [h('th', { text: 'Code' }), h('th', { class: 'num', text: 'Count' }), h('th', { text: 'Class' }), h('th', { text: 'Meaning' })])]),
      h('tbody', {}, errors.map(function (e) {
        return h('tr', {}, [h('td', {}, [h('code', { text: e.code })]), h('td', { class: 'num', 'data-testid': 'error-' + e.code, text: String(e.count) }), h('td', { text: e.class || '–' }), h('td', { text: e.meaning || '–' })]);
      }))
    ])
  ]);
}

function rejectedSection(report, opts) {
  var rows = opts.rejected;
  var total = typeof opts.rejectedTotal === 'number' ? opts.rejectedTotal : report.counts.skipped;
  return h('section', { 'data-testid': 'rejected' }, [
    h('h3', { text: 'Rejected rows' }),
    rows === null ? h('p', { class: 'muted', text: 'Loading…' })
      : rows.length === 0 ? h('p', { class: 'muted', text: 'No rows were rejected at intake.' })
      : h('div', {}, [
        rows.length < total ? h('p', { class: 'muted small', text: 'The first ' + rows.length + ' of ' + total + ' rejected rows; litecast campaign export ' + report.id + ' --outcome skipped lists them all.' }) : null,
        h('table', {}, [
          h('thead', {}, [h('tr', {}, [h('th', { class: 'num', text: 'Line' }), h('th', { text: 'Code' }), h('th', { text: 'Reason' })])]),
          h('tbody', {}, rows.map(function (r) { return h('tr', {}, [h('td', { class: 'num', text: String(r.line) }), h('td', {}, [h('code', { text: r.code })]), h('td', { text: r.reason })]); }))
        ])
      ])
  ]);
}

/** Sends per second against the limit, when the workers recorded any. */
function paceSection(report) {
  var pace = report.pace;
  if (!pace || !pace.perSecond || pace.perSecond.length === 0) return null;
  var peak = 0;
  pace.perSecond.forEach(function (p) { peak = Math.max(peak, p[1]); });
  return h('section', { 'data-testid': 'pace' }, [
    h('h2', { text: 'Sending rate' }),
    h('p', { class: 'muted small', text: 'Messages accepted per second (blue) against the channel limit of ' + pace.mps + ' msg/s (red). Dips are throttles (the rate lowers, then climbs back) or pauses; busiest second: ' + peak + '.' }),
    paceChart(pace)
  ]);
}

/** The whole campaign view. opts: { mode, rejected, rejectedTotal?, generatedAt?, toolbar? }. */
function campaignView(report, opts) {
  return h('div', { 'data-testid': 'campaign-view' }, [
    headerSection(report, opts),
    opts.toolbar || null,
    progressSection(report),
    countsSection(report),
    funnelSection(report),
    paceSection(report),
    comparisonSection(report),
    routingNotes(report),
    errorsSection(report),
    rejectedSection(report, opts),
    opts.mode === 'static' ? h('p', { class: 'muted small', text: 'Export every recipient with: litecast campaign export ' + report.id + ' --format csv > ' + report.id + '.csv' }) : null
  ]);
}
`;
